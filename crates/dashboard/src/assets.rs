//! The embedded build output (`dist/`) and how each file is served.

use include_dir::{include_dir, Dir, File};

static DIST: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/dist");

/// Same origin only, for everything. No `'unsafe-inline'`: the build emits
/// no inline script or style, and the page sets styles through the CSSOM,
/// which CSP does not restrict. `img-src data:` is for SVG icons in CSS.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
     manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const INDEX: &str = "index.html";

/// Vite writes content-hashed names under `assets/`, so a name never
/// changes meaning and browsers may keep it forever.
const HASHED_DIR: &str = "assets/";

/// One embedded file, ready to be served.
#[derive(Clone, Copy)]
pub struct Asset {
    path: &'static str,
    file: &'static File<'static>,
}

impl Asset {
    pub fn path(&self) -> &'static str {
        self.path
    }

    pub fn contents(&self) -> &'static [u8] {
        self.file.contents()
    }

    pub fn content_type(&self) -> &'static str {
        content_type(self.path)
    }

    pub fn cache_control(&self) -> &'static str {
        if self.path.starts_with(HASHED_DIR) {
            "public, max-age=31536000, immutable"
        } else {
            // index.html names the current hashed bundle: always revalidate
            // so a new release is picked up on the next load.
            "no-cache"
        }
    }

    /// A validator for `no-cache` revalidation: FNV-1a over the contents,
    /// stable across builds and processes (unlike `DefaultHasher`).
    pub fn etag(&self) -> String {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in self.contents() {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        format!("\"{h:016x}\"")
    }
}

/// Maps a path below `/dashboard/` to the file to serve.
///
/// - an embedded file is served as itself;
/// - a path that looks like a file (`assets/…`, or a last segment with a dot)
///   but is not embedded is `None` (404), so a stale script URL never gets
///   HTML back;
/// - anything else is a client-side route (`charges/ch_…`) and gets
///   `index.html`.
pub fn resolve(rel: &str) -> Option<Asset> {
    // The lookup is in an in-memory table, so `..` cannot escape it; refusing
    // it anyway keeps odd paths out of the SPA fallback.
    if rel.split('/').any(|seg| seg == ".." || seg == ".") {
        return None;
    }
    if !rel.is_empty() && !rel.ends_with('/') {
        if let Some(file) = DIST.get_file(rel) {
            return Some(Asset { path: path_of(file), file });
        }
        let last = rel.rsplit('/').next().unwrap_or(rel);
        if rel.starts_with(HASHED_DIR) || last.contains('.') {
            return None;
        }
    }
    index()
}

/// The page itself; `None` only if `dist/` was never built.
pub fn index() -> Option<Asset> {
    DIST.get_file(INDEX).map(|file| Asset { path: path_of(file), file })
}

fn path_of(file: &'static File<'static>) -> &'static str {
    file.path().to_str().unwrap_or("")
}

fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match ext {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// Every embedded file, for tests and diagnostics.
pub fn all() -> Vec<Asset> {
    fn walk(dir: &'static Dir<'static>, out: &mut Vec<Asset>) {
        for f in dir.files() {
            out.push(Asset { path: path_of(f), file: f });
        }
        for d in dir.dirs() {
            walk(d, out);
        }
    }
    let mut out = Vec::new();
    walk(&DIST, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::content_type;

    #[test]
    fn content_types_by_extension() {
        assert_eq!(content_type("assets/index-abc.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("assets/index-abc.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("favicon.svg"), "image/svg+xml");
        assert_eq!(content_type("weird"), "application/octet-stream");
    }
}
