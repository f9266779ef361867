//! `GET /admin/api/overview`: today's and the last 30 days' volume, count
//! and success rate, per channel, plus a daily series for charts. Days
//! follow the user's calendar (`utc_offset`, minutes).

use super::error::AdminResult;
use super::export::date;
use super::scope::Params;
use super::session::Admin;
use crate::state::AppState;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use unicharge_domain::ParamError;
use unicharge_store::admin::DayStats;

pub const DAYS: i64 = 30;
const DAY: i64 = 86_400;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub count: i64,
    pub paid_count: i64,
    pub volume: i64,
    pub refunded: i64,
}

impl Totals {
    fn add(&mut self, s: &DayStats) {
        self.count += s.count;
        self.paid_count += s.paid_count;
        self.volume += s.volume;
        self.refunded += s.refunded;
    }

    fn json(&self, from: Option<i64>, to: Option<i64>) -> Value {
        let rate = (self.count > 0).then(|| self.paid_count as f64 / self.count as f64);
        let mut v = json!({
            "count": self.count, "paid_count": self.paid_count, "volume": self.volume,
            "refunded": self.refunded, "success_rate": rate,
        });
        if let (Some(f), Some(t)) = (from, to) {
            v["from"] = json!(f);
            v["to"] = json!(t);
        }
        v
    }
}

/// The overview's numbers from the per-(channel, day) buckets; `today` is
/// the caller's current day number.
pub fn summarize(stats: &[DayStats], today: i64, offset: i64) -> Value {
    let first = today - (DAYS - 1);
    let (mut t_today, mut t_30) = (Totals::default(), Totals::default());
    let mut by_channel: BTreeMap<&str, (Totals, Totals)> = BTreeMap::new();
    let mut daily: BTreeMap<i64, (Totals, BTreeMap<&str, Totals>)> =
        (first..=today).map(|d| (d, Default::default())).collect();
    for s in stats.iter().filter(|s| (first..=today).contains(&s.day)) {
        let ch = by_channel.entry(s.channel.as_str()).or_default();
        t_30.add(s);
        ch.1.add(s);
        if s.day == today {
            t_today.add(s);
            ch.0.add(s);
        }
        if let Some((tot, per)) = daily.get_mut(&s.day) {
            tot.add(s);
            per.entry(s.channel.as_str()).or_default().add(s);
        }
    }
    let mut channels: Vec<(&str, Totals, Totals)> = by_channel.into_iter().map(|(c, (a, b))| (c, a, b)).collect();
    channels.sort_by(|a, b| b.2.volume.cmp(&a.2.volume).then(a.0.cmp(b.0)));
    let start = |d: i64| d * DAY - offset;
    let daily: Vec<Value> = daily
        .into_iter()
        .map(|(d, (tot, per))| {
            let mut v = tot.json(None, None);
            v["date"] = json!(date(d * DAY));
            v["from"] = json!(start(d));
            let per: Map<String, Value> = per
                .into_iter()
                .map(|(c, t)| (c.to_owned(), json!({"count": t.count, "paid_count": t.paid_count, "volume": t.volume})))
                .collect();
            v["by_channel"] = Value::Object(per);
            v
        })
        .collect();
    json!({
        "today": t_today.json(Some(start(today)), Some(start(today + 1))),
        "last_30_days": t_30.json(Some(start(first)), Some(start(today + 1))),
        "channels": channels
            .iter()
            .map(|(c, a, b)| json!({"channel": c, "today": a.json(None, None), "last_30_days": b.json(None, None)}))
            .collect::<Vec<_>>(),
        "daily": daily,
    })
}

pub async fn overview(state: web::Data<AppState>, who: Admin, req: HttpRequest) -> AdminResult<HttpResponse> {
    let p = Params::parse(req.query_string())?;
    let mode = p.mode()?;
    let minutes = p.int("utc_offset")?.unwrap_or(0);
    if !(-720..=840).contains(&minutes) {
        return Err(ParamError::out_of_range("utc_offset", "minutes from -720 to 840").into());
    }
    let offset = minutes * 60;
    let apps = p.apps(&state, &who).await?;
    let today = (crate::auth::now() + offset).div_euclid(DAY);
    let from = (today - (DAYS - 1)) * DAY - offset;
    let to = (today + 1) * DAY - offset;
    let stats = state.store.charge_day_stats(&apps, mode.is_live(), from, to, offset).await?;
    let mut v = summarize(&stats, today, offset);
    v["object"] = json!("overview");
    v["mode"] = json!(mode.as_str());
    v["app"] = json!(p.str("app"));
    v["currency"] = json!("cny");
    v["utc_offset"] = json!(minutes);
    Ok(HttpResponse::Ok().json(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(channel: &str, day: i64, count: i64, paid: i64, volume: i64) -> DayStats {
        DayStats { channel: channel.into(), day, count, paid_count: paid, volume, refunded: 0 }
    }

    #[test]
    fn buckets_add_up_and_old_days_are_left_out() {
        let today = 20_000;
        let stats = vec![
            s("sandbox", today, 4, 2, 200),
            s("alipay_qr", today, 1, 1, 500),
            s("sandbox", today - 3, 2, 2, 300),
            s("sandbox", today - 30, 9, 9, 9_000),
        ];
        let v = summarize(&stats, today, 0);
        assert_eq!(v["today"]["count"], 5);
        assert_eq!(v["today"]["volume"], 700);
        assert_eq!(v["today"]["success_rate"], 0.6);
        assert_eq!(v["last_30_days"]["count"], 7);
        assert_eq!(v["last_30_days"]["volume"], 1_000);
        assert_eq!(v["daily"].as_array().map(Vec::len), Some(30));
        assert_eq!(v["daily"][29]["by_channel"]["alipay_qr"]["volume"], 500);
        assert_eq!(v["daily"][26]["count"], 2);
        assert_eq!(v["channels"][0]["channel"], "alipay_qr");
        assert_eq!(v["channels"][1]["last_30_days"]["volume"], 500);
    }

    #[test]
    fn no_charges_means_no_rate() {
        let v = summarize(&[], 20_000, 28_800);
        assert_eq!(v["today"]["success_rate"], Value::Null);
        assert_eq!(v["today"]["from"], 20_000 * DAY - 28_800);
    }
}
