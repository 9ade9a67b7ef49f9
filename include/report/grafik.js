// Redraws each static chart with Vega-Embed (tooltips); a chart that fails keeps its static drawing.
// The number format (Indonesian separators) comes in the specifications' data-format-angka attribute.
(function () {
  var data = document.getElementById("spesifikasi-grafik");
  var specs = JSON.parse(data.textContent);
  var locale = JSON.parse(data.getAttribute("data-format-angka"));
  var options = {renderer: "svg", actions: false, formatLocale: locale};
  Object.keys(specs).forEach(function (id) {
    var el = document.getElementById(id);
    vegaEmbed(el, specs[id], options).then(function () { el.classList.add("interaktif"); })
      .catch(function (err) { console.error("grafik " + id + ": " + err); });
  });
})();
