from assets_hub.cli import main

main()
