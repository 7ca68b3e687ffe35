(function () {
  var table = document.getElementById("findings-table");
  var count = document.getElementById("shown-count");
  if (!table) { return; }
  var keys = ["status", "severity", "category", "group", "table"];
  var selects = keys.map(function (k) { return document.getElementById("filter-" + k); });
  var text = document.getElementById("filter-text");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  function apply() {
    var needle = text.value.trim().toLowerCase(), shown = 0;
    rows.forEach(function (row) {
      var ok = selects.every(function (sel, i) {
        return !sel.value || row.getAttribute("data-" + keys[i]) === sel.value;
      }) && (!needle || row.textContent.toLowerCase().indexOf(needle) !== -1);
      row.classList.toggle("hidden", !ok);
      if (ok) { shown += 1; }
    });
    count.textContent = shown + " of " + rows.length + " shown";
  }
  function value(row, key) {
    if (key === "status") { return Number(row.getAttribute("data-srank")); }
    if (key === "severity") { return Number(row.getAttribute("data-vrank")); }
    if (key === "id") { return row.cells[2].textContent; }
    return row.cells[3].textContent.trim();
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    th.querySelector("button").addEventListener("click", function () {
      var key = th.getAttribute("data-key");
      var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
      rows.sort(function (a, b) {
        var x = value(a, key), y = value(b, key);
        var c = x < y ? -1 : (x > y ? 1 : 0);
        return c * dir || Number(a.getAttribute("data-rank")) - Number(b.getAttribute("data-rank"));
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
  selects.forEach(function (sel) { sel.addEventListener("change", apply); });
  text.addEventListener("input", apply);
  apply();
}());
