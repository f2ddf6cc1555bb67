/* Sort and filter the facility table, with no library and no network. Headers are buttons
   (keyboard accessible); the sort state is in aria-sort. Filters hide rows of every table
   that lists facilities. Without JavaScript the tables stay whole and in name order. */
(function () {
  "use strict";
  var table = document.getElementById("facility-table");
  if (!table || !table.tHead) { return; }
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var status = document.getElementById("filter-status");
  var total = table.tBodies[0].rows.length;

  function key(row, index) {
    var cell = row.cells[index];
    var value = cell.getAttribute("data-sort");
    return value === null ? cell.textContent.trim() : value;
  }

  function sortBy(th) {
    var index = headers.indexOf(th);
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var numeric = th.getAttribute("data-kind") === "number";
    headers.forEach(function (h) { if (h.hasAttribute("aria-sort")) { h.setAttribute("aria-sort", "none"); } });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (r1, r2) {
      var a = key(r1, index), b = key(r2, index);
      if (a === "" || b === "") { return (a === "" ? 1 : 0) - (b === "" ? 1 : 0); }  /* no figure: always last */
      var d = numeric ? parseFloat(a) - parseFloat(b) : a.localeCompare(b, "en", { sensitivity: "base" });
      return ascending ? d : -d;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    var label = th.textContent.trim();
    if (status) { status.textContent = "Sorted by " + label + ", " + (ascending ? "ascending" : "descending") + ". " + shownText(); }
  }

  headers.forEach(function (th) {
    var button = th.querySelector("button.sort");
    if (button) { button.addEventListener("click", function () { sortBy(th); }); }
  });

  var selects = Array.prototype.slice.call(document.querySelectorAll("#filters select"));
  var shown = total;
  function shownText() { return "Showing " + shown + " of " + total + " facilities."; }

  function apply() {
    shown = 0;
    Array.prototype.forEach.call(document.querySelectorAll("tr[data-facility]"), function (row) {
      var visible = selects.every(function (s) {
        return s.value === "" || row.getAttribute("data-filter-" + s.name) === s.value;
      });
      row.hidden = !visible;
      if (visible && row.parentNode.parentNode === table) { shown += 1; }
    });
    if (status) { status.textContent = shownText(); }
  }

  selects.forEach(function (s) { s.addEventListener("change", apply); });
  var reset = document.getElementById("filter-reset");
  if (reset) {
    reset.addEventListener("click", function () { selects.forEach(function (s) { s.value = ""; }); apply(); });
  }
  var filters = document.getElementById("filters");
  if (filters) { filters.hidden = false; }
  apply();
})();
