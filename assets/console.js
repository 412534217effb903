/* Alarm console: elapsed times counted in the browser (layouts/console.py), so the 3 s
   refresh sends rows only when an alarm changed. `hzClockSkewMs` is the server's clock minus
   this browser's, set from each refresh (callbacks/console_refresh.py), so a wall PC with a
   wrong clock still shows the right ages. */
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

dagfuncs.hzElapsedSeconds = function (raisedMs) {
  if (typeof raisedMs !== "number") { return null; }
  var now = Date.now() + (window.hzClockSkewMs || 0);
  return Math.max(0, Math.floor((now - raisedMs) / 1000));
};

/* The same wording as layouts.shell.elapsed_text: 45 s, 12 min, 3 h 5 min, 2 d 4 h. */
dagfuncs.hzElapsedText = function (s, sec, min, hours, days) {
  if (typeof s !== "number") { return ""; }
  if (s < 60) { return sec.replace("{n}", s); }
  if (s < 3600) { return min.replace("{n}", Math.floor(s / 60)); }
  if (s < 86400) {
    return hours.replace("{h}", Math.floor(s / 3600)).replace("{m}", Math.floor((s % 3600) / 60));
  }
  return days.replace("{d}", Math.floor(s / 86400)).replace("{h}", Math.floor((s % 86400) / 3600));
};
