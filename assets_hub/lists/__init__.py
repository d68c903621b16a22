"""Saved lists (ALISS's collections): anyone keeps services in a named list, with a note on each,
in their own order; shares it read-only by a link; prints it with every contact detail and
opening time; emails it to themselves. Signed in, a list belongs to the account; not signed in,
to the browser session (a key kept in the session cookie, stored hashed)."""
