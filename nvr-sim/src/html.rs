//! The pages of the device's local web UI: plain server-rendered HTML. One small inline script
//! ([`SCRIPT`], allowed by its hash and nothing else) counts the deadlines on a page down live;
//! without it every page still states its deadline, as rendered.

use std::sync::LazyLock;

use axum::response::Html;
use base64::Engine;
use sha2::{Digest, Sha256};

/// Counts down every `[data-countdown]` element: its `.left` child shows the time left (the
/// seconds the device rendered, less the time since the page loaded, by the browser's monotonic
/// clock, never its wall clock, which need not agree with the device's), written like
/// [`duration_text`]; at zero the whole element says its `data-expired` text.
pub(crate) const SCRIPT: &str = "(function(){\
var t0=performance.now();\
var els=document.querySelectorAll('[data-countdown]');\
function text(s){var m=Math.floor(s/60),r=s%60;\
return m===0?r+' s':(r===0?m+' min':m+' min '+r+' s');}\
function tick(){var gone=Math.floor((performance.now()-t0)/1000);\
els.forEach(function(e){var left=parseInt(e.getAttribute('data-countdown'),10)-gone;\
var shown=e.querySelector('.left');\
if(left>0){if(shown){shown.textContent=text(left);}}\
else if(e.hasAttribute('data-expired')){e.textContent=e.getAttribute('data-expired');\
e.removeAttribute('data-expired');}});}\
setInterval(tick,1000);})();";

/// `'sha256-...'` of [`SCRIPT`], the only script the pages' content security policy allows.
pub(crate) static SCRIPT_HASH: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(SCRIPT.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
});

/// The stylesheet of every page, served as `/style.css` (the CSP allows no inline style).
pub(crate) const STYLE: &str = "
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,'Segoe UI',Roboto,sans-serif;color:#e6e9ef;
background:linear-gradient(160deg,#0f1620 0%,#1b2634 60%,#0f1620 100%);min-height:100vh}
header{display:flex;justify-content:space-between;align-items:center;padding:10px 24px;
background:#0a0f16;border-bottom:2px solid #c8102e}
header b{letter-spacing:.12em;font-size:17px}
header span{color:#8d99ab;font-size:13px}
main{max-width:460px;margin:48px auto;padding:28px 32px;background:#1f2b3a;border-radius:6px;
box-shadow:0 10px 40px rgba(0,0,0,.45)}
h1{font-size:20px;font-weight:600;margin:0 0 18px}
label{display:block;margin:12px 0 4px;color:#aeb8c7;font-size:13px}
input{width:100%;padding:9px 11px;border:1px solid #3b4a5e;border-radius:4px;background:#121a24;
color:#fff;font-size:15px}
input:focus{outline:none;border-color:#c8102e}
button{margin-top:18px;width:100%;padding:10px;border:0;border-radius:4px;background:#c8102e;
color:#fff;font-size:15px;cursor:pointer}
button.secondary{background:#3b4a5e}
a{color:#7fb2ff}
.error{background:#4a1620;border-left:4px solid #ff4d5e;padding:8px 12px;border-radius:3px}
.notice{background:#163a2a;border-left:4px solid #3ccf7f;padding:8px 12px;border-radius:3px}
.muted{color:#8d99ab;font-size:13px}
.qr{display:block;margin:10px auto;background:#fff;padding:6px;width:280px;height:280px;
image-rendering:pixelated}
ol{padding-left:20px;color:#cfd6e0}
.qr-text{display:block;margin:4px 0 12px;padding:8px 10px;background:#121a24;border:1px solid #3b4a5e;
border-radius:4px;font:12px/1.5 ui-monospace,'DejaVu Sans Mono',monospace;word-break:break-all;
user-select:all;color:#e6e9ef}
code{font-family:ui-monospace,'DejaVu Sans Mono',monospace}
.cloud{margin-top:22px;padding-top:10px;border-top:1px solid #3b4a5e}
.cloud p{margin:6px 0}
.cloud button{margin-top:8px}
.row{display:flex;justify-content:space-between;margin-top:14px}
";

/// Escapes text for HTML content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A full page: the NVR's header bar and one card. `body` must already be escaped HTML.
pub(crate) fn page(title: &str, device: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title} - Network Video Recorder</title>\
         <link rel=\"stylesheet\" href=\"/style.css\"></head>\
         <body><header><b>NETWORK VIDEO RECORDER</b><span>{device}</span></header>\
         <main><h1>{title}</h1>{body}</main><script>{SCRIPT}</script></body></html>",
        title = escape(title),
        device = escape(device),
    ))
}

/// A message box; `kind` is `error` or `notice`.
pub(crate) fn message(kind: &str, text: &str) -> String {
    format!("<p class=\"{kind}\" id=\"message\">{}</p>", escape(text))
}

/// A deadline the device rendered, counted down live by [`SCRIPT`]: `before`, the time left,
/// `after`; at zero, `expired` alone. All texts are plain (they are escaped here).
pub(crate) fn countdown(
    id: &str,
    kind: &str,
    secs: u64,
    before: &str,
    after: &str,
    expired: &str,
) -> String {
    format!(
        "<p class=\"{kind}\" id=\"{id}\" data-countdown=\"{secs}\" data-expired=\"{expired}\">\
         {before}<span class=\"left\">{left}</span>{after}</p>",
        expired = escape(expired),
        before = escape(before),
        left = duration_text(secs),
        after = escape(after),
    )
}

/// A device wall-clock time as the page shows it: `Wed, 02 Dec 2026 17:05:03 GMT`.
pub(crate) fn device_time(unix: u64) -> String {
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(unix))
}

/// The time of day alone: `17:05:03 GMT`.
pub(crate) fn device_clock(unix: u64) -> String {
    let full = device_time(unix);
    full.get(17..).unwrap_or(&full).to_owned()
}

/// "4 min 30 s" for a number of seconds.
pub(crate) fn duration_text(secs: u64) -> String {
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_text_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn device_times_read_as_the_devices_clock() {
        assert_eq!(device_time(1_764_028_800), "Tue, 25 Nov 2025 00:00:00 GMT");
        assert_eq!(device_clock(1_764_028_800 + 3_723), "01:02:03 GMT");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_text(45), "45 s");
        assert_eq!(duration_text(120), "2 min");
        assert_eq!(duration_text(1799), "29 min 59 s");
    }
}
