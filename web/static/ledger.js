// The space form: the class list follows the chosen industry (the appendix lists classes per
// industry), and the key-supervision badge previews what the server will derive.
(function () {
  "use strict";
  var industry = document.getElementById("industry");
  var cls = document.getElementById("catalogue_class");
  if (!industry || !cls) return;
  var preview = document.getElementById("key-preview");
  var hazards = document.querySelectorAll('input[name="hazards"]');

  var follow = function () {
    var chosen = industry.value;
    cls.querySelectorAll("optgroup").forEach(function (group) {
      var mine = group.dataset.industry === chosen;
      group.hidden = !mine;
      group.disabled = !mine;
    });
    var selected = cls.options[cls.selectedIndex];
    if (selected && selected.dataset.industry && selected.dataset.industry !== chosen) cls.value = "";
  };
  var judge = function () {
    var key = cls.value !== "";
    hazards.forEach(function (box) { if (box.checked && box.dataset.keySupervision === "1") key = true; });
    if (preview) preview.hidden = !key;
  };
  industry.addEventListener("change", function () { follow(); judge(); });
  cls.addEventListener("change", judge);
  hazards.forEach(function (box) { box.addEventListener("change", judge); });
  follow();
  judge();
})();
