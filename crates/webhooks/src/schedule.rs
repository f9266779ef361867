use rand::Rng;
use std::time::Duration;

/// Delays before each retry. The default follows Ping++ and Alipay: about
/// 25 hours in all. `time_scale` divides every delay, for tests.
#[derive(Debug, Clone)]
pub struct RetrySchedule {
    pub delays: Vec<Duration>,
    pub time_scale: u32,
}

impl Default for RetrySchedule {
    fn default() -> Self {
        let secs = [15, 60, 240, 600, 1800, 3600, 7200, 21600, 54000];
        Self { delays: secs.into_iter().map(Duration::from_secs).collect(), time_scale: 1 }
    }
}

impl RetrySchedule {
    /// Parses "15s,1m,4m,10m,30m,1h,2h,6h,15h".
    pub fn parse(s: &str, time_scale: u32) -> Option<Self> {
        let delays = s
            .split(',')
            .map(|p| {
                let p = p.trim();
                let (n, unit) = p.split_at(p.find(|c: char| !c.is_ascii_digit()).unwrap_or(p.len()));
                let n: u64 = n.parse().ok()?;
                let mult = match unit {
                    "" | "s" => 1,
                    "m" => 60,
                    "h" => 3600,
                    _ => return None,
                };
                Some(Duration::from_secs(n * mult))
            })
            .collect::<Option<Vec<_>>>()?;
        (!delays.is_empty()).then_some(Self { delays, time_scale: time_scale.max(1) })
    }

    /// The delay before retry number `attempt` (1-based, after that many
    /// failures), with ±10 % jitter so a recovering receiver is not hit by a
    /// thundering herd; `None` once the schedule is exhausted.
    pub fn delay_after(&self, failures: usize) -> Option<Duration> {
        let base = *self.delays.get(failures.checked_sub(1)?)? / self.time_scale.max(1);
        let ms = base.as_millis() as u64;
        let jitter = if ms >= 10 { rand::rng().random_range(0..=ms / 5) as i64 - (ms / 10) as i64 } else { 0 };
        Some(Duration::from_millis((ms as i64 + jitter).max(0) as u64))
    }

    pub fn attempts(&self) -> usize {
        self.delays.len() + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_spans_a_day_and_parses() {
        let s = RetrySchedule::default();
        let total: u64 = s.delays.iter().map(|d| d.as_secs()).sum();
        assert!(total >= 24 * 3600, "{total}");
        assert_eq!(s.attempts(), 10);
        assert!(s.delay_after(0).is_none());
        let d = s.delay_after(1).expect("first").as_millis();
        assert!((13_500..=16_500).contains(&d), "{d}");
        assert!(s.delay_after(10).is_none());
        let p = RetrySchedule::parse("15s,1m,2h", 1).expect("parse");
        assert_eq!(p.delays, vec![Duration::from_secs(15), Duration::from_secs(60), Duration::from_secs(7200)]);
        assert!(RetrySchedule::parse("15x", 1).is_none());
    }
}
