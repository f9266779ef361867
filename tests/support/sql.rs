//! Raw SQL on a test server's own database, for states the API would take
//! minutes to build (tens of thousands of failed deliveries) or cannot
//! build at all (a delivery due at a made-up time).

use sqlx::Connection;

/// Runs one statement.
pub async fn exec(url: &str, sql: &str) {
    // sqlx 0.9 wants 'static SQL; leaking a test's few statements is fine.
    let sql: &'static str = Box::leak(sql.to_owned().into_boxed_str());
    if url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::Executor::execute(&mut c, sql).await.expect("sql");
    } else {
        let mut c = sqlx::SqliteConnection::connect(url).await.expect("connect");
        sqlx::Executor::execute(&mut c, sql).await.expect("sql");
    }
}

/// The one integer a query returns (a count).
pub async fn one_i64(url: &str, sql: &str) -> i64 {
    let sql: &'static str = Box::leak(sql.to_owned().into_boxed_str());
    if url.starts_with("postgres") {
        let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::query_scalar::<_, i64>(sql).fetch_one(&mut c).await.expect("query")
    } else {
        let mut c = sqlx::SqliteConnection::connect(url).await.expect("connect");
        sqlx::query_scalar::<_, i64>(sql).fetch_one(&mut c).await.expect("query")
    }
}

/// A FROM item `g` with a column `n` counting 1..=count, on either backend.
pub fn numbers(url: &str, count: u64) -> String {
    if url.starts_with("postgres") {
        format!("generate_series(1, {count}) AS g(n)")
    } else {
        format!(
            "(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {count}) SELECT n FROM s) AS g"
        )
    }
}

/// `count` events of `app` (ids `evt_{prefix}N`), each with one delivery to
/// `endpoint` (ids `wd_{prefix}N`) in `status`, due at `due_ms`.
pub async fn backlog(url: &str, app: &str, endpoint: &str, prefix: &str, count: u64, status: &str, due_ms: i64) {
    let (g, now) = (numbers(url, count), due_ms / 1000);
    exec(
        url,
        &format!(
            "INSERT INTO events (id, app_id, livemode, type, object_id, data, pending_webhooks, request_id, created) \
             SELECT 'evt_{prefix}' || g.n, '{app}', false, 'charge.succeeded', 'ch_{prefix}' || g.n, '{{}}', 0, NULL, \
               {now} FROM {g}"
        ),
    )
    .await;
    exec(
        url,
        &format!(
            "INSERT INTO webhook_deliveries (id, event_id, endpoint_id, app_id, livemode, object_id, status, \
               attempts, next_attempt_at, created) \
             SELECT 'wd_{prefix}' || g.n, 'evt_{prefix}' || g.n, '{endpoint}', '{app}', false, 'ch_{prefix}' || g.n, \
               '{status}', 9, {due_ms}, {now} FROM {g}"
        ),
    )
    .await;
}
