// Suggests places and postcode districts in the "Where?" box as the person types, through the
// browser's own list (a <datalist>), so keyboard and screen-reader use is the browser's. Without
// JavaScript the box is a plain text box and every place name still works when the form is sent.
(function () {
  var input = document.getElementById("where");
  var list = document.getElementById("where-suggestions");
  if (!input || !list || !window.fetch) { return; }
  var timer = null, last = "";
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var q = input.value.trim();
      if (q.length < 2 || q === last) { return; }
      last = q;
      fetch(input.getAttribute("data-suggest") + "?q=" + encodeURIComponent(q), { headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (data) {
          if (input.value.trim() !== q) { return; }  // the person typed on: a newer request follows
          list.textContent = "";
          data.suggestions.forEach(function (s) {
            var option = document.createElement("option");
            option.value = s.value;
            option.label = s.label;
            list.appendChild(option);
          });
        })
        .catch(function () { /* suggestions are a help, not a need: the form still works */ });
    }, 150);
  });
})();
