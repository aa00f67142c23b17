// Live updates: the server sends "change" when a hop is recorded; elements marked data-live reload themselves
// (htmx, hx-trigger "live"). A lost connection is retried by EventSource itself; nothing waits on it.
(function () {
  if (!window.EventSource) return;
  var source = new EventSource("/events");
  var pending = false;
  source.addEventListener("change", function () {
    if (pending) return;
    pending = true;
    setTimeout(function () {  // at most two refreshes a second
      pending = false;
      document.querySelectorAll("[data-live]").forEach(function (el) { htmx.trigger(el, "live"); });
    }, 500);
  });
})();
