//! Read queries for the dashboard: lists across a tenant's apps (or every
//! app, for an operator), filtered by mode, plus the overview aggregates.
//! `apps: None` means "every app"; `Some(vec![])` means "none" (a tenant
//! without apps), never "all".

use crate::charges::{paginate, time_range};
use crate::entity::{charge, event, refund, tenant, webhook_delivery};
use crate::{ChargeRow, EventRow, Page, PageRequest, RefundRow, Store, StoreError, TenantRow, TimeRange};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, Statement, Value,
};

/// Which dashboard status a charge is in; the five partition all charges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeState {
    Unpaid,
    Paid,
    Refunded,
    Closed,
    Failed,
}

impl ChargeState {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "unpaid" => Self::Unpaid,
            "paid" => Self::Paid,
            "refunded" => Self::Refunded,
            "closed" => Self::Closed,
            "failed" => Self::Failed,
            _ => return None,
        })
    }

    pub fn of(c: &ChargeRow) -> Self {
        match c.status.as_str() {
            "paid" if c.amount_refunded > 0 => Self::Refunded,
            "paid" => Self::Paid,
            "closed" => Self::Closed,
            "failed" => Self::Failed,
            _ => Self::Unpaid,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unpaid => "unpaid",
            Self::Paid => "paid",
            Self::Refunded => "refunded",
            Self::Closed => "closed",
            Self::Failed => "failed",
        }
    }

    fn condition(self) -> Condition {
        use charge::Column as C;
        let c = Condition::all();
        match self {
            Self::Unpaid => c.add(C::Status.eq("pending")),
            Self::Paid => c.add(C::Status.eq("paid")).add(C::AmountRefunded.eq(0)),
            Self::Refunded => c.add(C::Status.eq("paid")).add(C::AmountRefunded.gt(0)),
            Self::Closed => c.add(C::Status.eq("closed")),
            Self::Failed => c.add(C::Status.eq("failed")),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct AdminChargeFilter {
    pub apps: Option<Vec<String>>,
    pub livemode: bool,
    pub channel: Option<String>,
    pub state: Option<ChargeState>,
    pub created: TimeRange,
    pub id: Option<String>,
    pub order_no: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AdminRefundFilter {
    pub apps: Option<Vec<String>>,
    pub livemode: bool,
    pub status: Option<String>,
    pub charge_id: Option<String>,
    pub created: TimeRange,
}

#[derive(Debug, Clone, Default)]
pub struct AdminEventFilter {
    pub apps: Option<Vec<String>>,
    pub livemode: bool,
    pub kind: Option<String>,
    pub object_id: Option<String>,
    /// Events with at least one delivery in this status.
    pub delivery_status: Option<String>,
    pub created: TimeRange,
}

/// One `(channel, day)` bucket of the overview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayStats {
    pub channel: String,
    /// Days since the epoch, in the caller's time zone.
    pub day: i64,
    pub count: i64,
    pub paid_count: i64,
    pub volume: i64,
    pub refunded: i64,
}

fn in_apps<Col: ColumnTrait>(cond: Condition, col: Col, apps: &Option<Vec<String>>) -> Condition {
    match apps {
        None => cond,
        Some(ids) => cond.add(col.is_in(ids.iter().map(String::as_str))),
    }
}

impl Store {
    pub async fn list_admin_charges(
        &self,
        f: &AdminChargeFilter,
        page: PageRequest,
    ) -> Result<Page<ChargeRow>, StoreError> {
        use charge::Column as C;
        let mut cond = in_apps(Condition::all().add(C::Livemode.eq(f.livemode)), C::AppId, &f.apps);
        if let Some(ch) = &f.channel {
            cond = cond.add(C::Channel.eq(ch.as_str()));
        }
        if let Some(s) = f.state {
            cond = cond.add(s.condition());
        }
        if let Some(id) = &f.id {
            cond = cond.add(C::Id.eq(id.as_str()));
        }
        if let Some(o) = &f.order_no {
            cond = cond.add(C::OrderNo.eq(o.as_str()));
        }
        cond = time_range(cond, C::Created, f.created);
        paginate(charge::Entity::find().filter(cond), C::Seq, page, &self.reader).await
    }

    pub async fn list_admin_refunds(
        &self,
        f: &AdminRefundFilter,
        page: PageRequest,
    ) -> Result<Page<RefundRow>, StoreError> {
        use refund::Column as C;
        let mut cond = in_apps(Condition::all().add(C::Livemode.eq(f.livemode)), C::AppId, &f.apps);
        if let Some(s) = &f.status {
            cond = cond.add(C::Status.eq(s.as_str()));
        }
        if let Some(c) = &f.charge_id {
            cond = cond.add(C::ChargeId.eq(c.as_str()));
        }
        cond = time_range(cond, C::Created, f.created);
        paginate(refund::Entity::find().filter(cond), C::Seq, page, &self.reader).await
    }

    /// Every refund of a charge, newest first.
    pub async fn all_refunds_of(&self, charge_id: &str) -> Result<Vec<RefundRow>, StoreError> {
        use refund::Column as C;
        Ok(refund::Entity::find().filter(C::ChargeId.eq(charge_id)).order_by_desc(C::Seq).all(&self.reader).await?)
    }

    pub async fn list_admin_events(
        &self,
        f: &AdminEventFilter,
        page: PageRequest,
    ) -> Result<Page<EventRow>, StoreError> {
        use event::Column as C;
        use webhook_delivery::Column as D;
        let mut cond = in_apps(Condition::all().add(C::Livemode.eq(f.livemode)), C::AppId, &f.apps);
        if let Some(k) = &f.kind {
            cond = cond.add(C::Kind.eq(k.as_str()));
        }
        if let Some(o) = &f.object_id {
            cond = cond.add(C::ObjectId.eq(o.as_str()));
        }
        if let Some(s) = &f.delivery_status {
            let sub = Query::select()
                .column(D::EventId)
                .from(webhook_delivery::Entity)
                .and_where(Expr::col(D::Status).eq(s.as_str()))
                .to_owned();
            cond = cond.add(C::Id.in_subquery(sub));
        }
        cond = time_range(cond, C::Created, f.created);
        paginate(event::Entity::find().filter(cond), C::Seq, page, &self.reader).await
    }

    /// Events about any of these objects, oldest first.
    pub async fn events_for_objects(&self, object_ids: &[String]) -> Result<Vec<EventRow>, StoreError> {
        use event::Column as C;
        if object_ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(event::Entity::find()
            .filter(C::ObjectId.is_in(object_ids.iter().map(String::as_str)))
            .order_by_asc(C::Seq)
            .all(&self.reader)
            .await?)
    }

    pub async fn get_api_key(&self, id: &str) -> Result<Option<crate::ApiKeyRow>, StoreError> {
        Ok(crate::entity::api_key::Entity::find_by_id(id.to_owned()).one(&self.reader).await?)
    }

    pub async fn list_tenants(&self) -> Result<Vec<TenantRow>, StoreError> {
        Ok(tenant::Entity::find()
            .order_by_asc(tenant::Column::Created)
            .order_by_asc(tenant::Column::Id)
            .all(&self.reader)
            .await?)
    }

    /// Charges created in `[from, to)` grouped by channel and by day, where
    /// a day is `(created + utc_offset_secs) / 86400`. One aggregate query,
    /// so the overview costs the same whatever the number of charges shown.
    pub async fn charge_day_stats(
        &self,
        apps: &Option<Vec<String>>,
        livemode: bool,
        from: i64,
        to: i64,
        utc_offset_secs: i64,
    ) -> Result<Vec<DayStats>, StoreError> {
        if matches!(apps, Some(a) if a.is_empty()) {
            return Ok(Vec::new());
        }
        let pg = self.backend == crate::Backend::Postgres;
        let mut values: Vec<Value> = Vec::new();
        let mut ph = |v: Value| {
            values.push(v);
            if pg {
                format!("${}", values.len())
            } else {
                "?".to_owned()
            }
        };
        // The offset is bound once and grouped by position (GROUP BY 1, 2):
        // PostgreSQL would not match two separately bound copies.
        let off = ph(utc_offset_secs.into());
        let live = ph(livemode.into());
        let lo = ph(from.into());
        let hi = ph(to.into());
        let mut sql = format!(
            "SELECT channel, CAST((created + {off}) / 86400 AS BIGINT) AS day, COUNT(*) AS n, \
             CAST(SUM(CASE WHEN status = 'paid' THEN 1 ELSE 0 END) AS BIGINT) AS paid_n, \
             CAST(SUM(CASE WHEN status = 'paid' THEN amount ELSE 0 END) AS BIGINT) AS volume, \
             CAST(SUM(amount_refunded) AS BIGINT) AS refunded \
             FROM charges WHERE livemode = {live} AND created >= {lo} AND created < {hi}"
        );
        if let Some(ids) = apps {
            let list: Vec<String> = ids.iter().map(|a| ph(a.clone().into())).collect();
            sql.push_str(&format!(" AND app_id IN ({})", list.join(", ")));
        }
        sql.push_str(" GROUP BY 1, 2");
        let backend = if pg { DbBackend::Postgres } else { DbBackend::Sqlite };
        let rows = self.reader.query_all_raw(Statement::from_sql_and_values(backend, sql, values)).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(DayStats {
                channel: r.try_get("", "channel")?,
                day: r.try_get("", "day")?,
                count: r.try_get("", "n")?,
                paid_count: r.try_get("", "paid_n")?,
                volume: r.try_get("", "volume")?,
                refunded: r.try_get("", "refunded")?,
            });
        }
        Ok(out)
    }
}
