//! The pages of the device's local web UI: plain server-rendered HTML, no script.

use axum::response::Html;

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
         <main><h1>{title}</h1>{body}</main></body></html>",
        title = escape(title),
        device = escape(device),
    ))
}

/// A message box; `kind` is `error` or `notice`.
pub(crate) fn message(kind: &str, text: &str) -> String {
    format!("<p class=\"{kind}\" id=\"message\">{}</p>", escape(text))
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
    fn durations_read_naturally() {
        assert_eq!(duration_text(45), "45 s");
        assert_eq!(duration_text(120), "2 min");
        assert_eq!(duration_text(1799), "29 min 59 s");
    }
}
