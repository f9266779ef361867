//! `GET /admin/api/charges/export`: the current charge filter as CSV,
//! streamed page by page so a large export never sits in memory.

use super::charges::filter;
use super::error::AdminResult;
use super::scope::Params;
use super::session::Admin;
use crate::state::AppState;
use actix_web::{http::header, web, HttpRequest, HttpResponse};
use unicharge_store::admin::{AdminChargeFilter, ChargeState};
use unicharge_store::{ChargeRow, PageRequest};

/// Beyond this, narrow the filter: an export is for a spreadsheet.
pub const MAX_ROWS: usize = 100_000;
const PAGE: u64 = 500;
pub const HEADER: &str =
    "id,order_no,app,channel,status,amount,amount_refunded,currency,created,created_at,time_paid,transaction_no,subject,livemode\r\n";

/// RFC 4180 quoting, and a leading `'` on cells a spreadsheet would run as
/// a formula (`=`, `+`, `-`, `@`): order numbers and subjects come from
/// tenants' customers.
pub fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_owned() };
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn rfc3339(t: i64) -> String {
    // Civil date from days since the epoch (Howard Hinnant's algorithm),
    // to avoid a date-time dependency for one column.
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", secs / 3600, secs % 3600 / 60, secs % 60)
}

/// `YYYY-MM-DD` of a Unix time (UTC).
pub fn date(t: i64) -> String {
    rfc3339(t)[..10].to_owned()
}

pub fn row(c: &ChargeRow) -> String {
    let cols = [
        cell(&c.id),
        cell(&c.order_no),
        cell(&c.app_id),
        cell(&c.channel),
        ChargeState::of(c).as_str().to_owned(),
        c.amount.to_string(),
        c.amount_refunded.to_string(),
        cell(&c.currency),
        c.created.to_string(),
        rfc3339(c.created),
        c.time_paid.map(|t| t.to_string()).unwrap_or_default(),
        cell(c.transaction_no.as_deref().unwrap_or("")),
        cell(&c.subject),
        c.livemode.to_string(),
    ];
    let mut line = cols.join(",");
    line.push_str("\r\n");
    line
}

struct Cursor {
    state: web::Data<AppState>,
    filter: AdminChargeFilter,
    after: Option<i64>,
    sent: usize,
    done: bool,
}

async fn next_page(mut cur: Cursor) -> Option<(Result<web::Bytes, actix_web::Error>, Cursor)> {
    if cur.done || cur.sent >= MAX_ROWS {
        return None;
    }
    let want = PAGE.min((MAX_ROWS - cur.sent) as u64);
    let page = PageRequest { limit: want, starting_after: cur.after, ending_before: None };
    match cur.state.store.list_admin_charges(&cur.filter, page).await {
        Ok(p) => {
            let mut out = String::new();
            for c in &p.rows {
                out.push_str(&row(c));
            }
            cur.sent += p.rows.len();
            cur.after = p.rows.last().map(|c| c.seq);
            cur.done = !p.has_more || p.rows.is_empty();
            Some((Ok(web::Bytes::from(out)), cur))
        }
        Err(e) => {
            // Headers are gone already: cutting the stream is the only way
            // to tell the client the file is incomplete.
            tracing::error!(error = %e, "charge export failed mid-stream");
            cur.done = true;
            Some((Err(actix_web::error::ErrorInternalServerError("export failed")), cur))
        }
    }
}

pub async fn export(state: web::Data<AppState>, who: Admin, req: HttpRequest) -> AdminResult<HttpResponse> {
    let p = Params::parse(req.query_string())?;
    let f = filter(&state, &who, &p).await?;
    let name = format!(
        "charges-{}-{}.csv",
        if f.livemode { "live" } else { "test" },
        date(crate::auth::now()).replace('-', "")
    );
    let first = futures::stream::once(async { Ok::<_, actix_web::Error>(web::Bytes::from_static(HEADER.as_bytes())) });
    let cur = Cursor { state: state.clone(), filter: f, after: None, sent: 0, done: false };
    let rest = futures::stream::unfold(cur, next_page);
    use futures::StreamExt;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(first.chain(rest)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_764_892_800), "2025-12-05T00:00:00Z");
        assert_eq!(rfc3339(951_782_400 + 3661), "2000-02-29T01:01:01Z");
    }

    #[test]
    fn cells_are_quoted_and_defused() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(cell("-1,2"), "\"'-1,2\"");
    }
}
