//! What a dashboard user may see. Every lookup by id goes through here, and
//! answers "no such …" (404) for another tenant's object, exactly as for a
//! missing one, so ids cannot be probed.

use super::error::{AdminError, AdminResult};
use super::session::Admin;
use crate::listing::ListQuery;
use crate::state::AppState;
use crate::ApiError;
use unicharge_domain::{Mode, ParamError};
use unicharge_store::{AppRow, ChargeRow, EventRow, PageRequest, RefundRow, TimeRange};

/// An app the user may see.
pub async fn owned_app(state: &AppState, who: &Admin, id: &str) -> AdminResult<AppRow> {
    let app = state.app(id).await?.ok_or_else(|| ApiError::not_found("app", id))?;
    match who.tenant() {
        Some(t) if app.tenant_id != t => Err(ApiError::not_found("app", id).into()),
        _ => Ok(app),
    }
}

/// Whether the user may see objects of this app; used where the object
/// itself has been loaded already.
async fn may_see(state: &AppState, who: &Admin, app_id: &str) -> AdminResult<bool> {
    match owned_app(state, who, app_id).await {
        Ok(_) => Ok(true),
        Err(AdminError::Api(ApiError::NotFound { .. })) => Ok(false),
        Err(e) => Err(e),
    }
}

pub async fn owned_charge(state: &AppState, who: &Admin, id: &str) -> AdminResult<ChargeRow> {
    let missing = || AdminError::from(ApiError::not_found("charge", id));
    unicharge_domain::ChargeId::parse(id).ok_or_else(missing)?;
    let c = state.store.get_charge(id).await?.ok_or_else(missing)?;
    if may_see(state, who, &c.app_id).await? {
        Ok(c)
    } else {
        Err(missing())
    }
}

pub async fn owned_refund(state: &AppState, who: &Admin, id: &str) -> AdminResult<RefundRow> {
    let missing = || AdminError::from(ApiError::not_found("refund", id));
    unicharge_domain::RefundId::parse(id).ok_or_else(missing)?;
    let r = state.store.get_refund(id).await?.ok_or_else(missing)?;
    if may_see(state, who, &r.app_id).await? {
        Ok(r)
    } else {
        Err(missing())
    }
}

pub async fn owned_event(state: &AppState, who: &Admin, id: &str) -> AdminResult<EventRow> {
    let missing = || AdminError::from(ApiError::not_found("event", id));
    unicharge_domain::EventId::parse(id).ok_or_else(missing)?;
    let e = state.store.get_event(id).await?.ok_or_else(missing)?;
    if may_see(state, who, &e.app_id).await? {
        Ok(e)
    } else {
        Err(missing())
    }
}

/// The tenant a request acts for: a tenant user's own (naming another is
/// "no such tenant"), or, for an operator, the one named, which must exist.
pub async fn acting_tenant(state: &AppState, who: &Admin, named: Option<&str>) -> AdminResult<String> {
    match (who.tenant(), named) {
        (Some(own), None) => Ok(own.to_owned()),
        (Some(own), Some(n)) if n == own => Ok(own.to_owned()),
        (Some(_), Some(n)) => Err(ApiError::not_found("tenant", n).into()),
        (None, None) => Err(ParamError::missing("tenant").into()),
        (None, Some(n)) => {
            state.store.get_tenant(n).await?.ok_or_else(|| ApiError::not_found("tenant", n))?;
            Ok(n.to_owned())
        }
    }
}

/// Query parameters shared by the dashboard's lists.
pub struct Params {
    pub q: ListQuery,
}

impl Params {
    pub fn parse(query: &str) -> AdminResult<Self> {
        Ok(Self { q: ListQuery::parse(query)? })
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        self.q.str(name)
    }

    /// `mode=test|live`, `test` when absent; never both.
    pub fn mode(&self) -> AdminResult<Mode> {
        match self.q.str("mode") {
            None => Ok(Mode::Test),
            Some(m) => Mode::parse(m).ok_or_else(|| ParamError::invalid("mode", "must be test or live").into()),
        }
    }

    pub fn int(&self, name: &str) -> AdminResult<Option<i64>> {
        match self.q.str(name) {
            None => Ok(None),
            Some(s) => s
                .parse::<i64>()
                .map(Some)
                .map_err(|_| ParamError::invalid(name, "must be an integer (Unix seconds for dates)").into()),
        }
    }

    /// `created_from` (inclusive) and `created_to` (exclusive).
    pub fn created(&self) -> AdminResult<TimeRange> {
        Ok(TimeRange { gte: self.int("created_from")?, lt: self.int("created_to")?, ..Default::default() })
    }

    /// The apps a list covers: the one named by `app` (which must be
    /// visible), else every app (operator) or the tenant's apps.
    pub async fn apps(&self, state: &AppState, who: &Admin) -> AdminResult<Option<Vec<String>>> {
        if let Some(id) = self.q.str("app") {
            return Ok(Some(vec![owned_app(state, who, id).await?.id]));
        }
        match who.tenant() {
            None => Ok(None),
            Some(t) => Ok(Some(state.store.list_apps(Some(t)).await?.into_iter().map(|a| a.id).collect())),
        }
    }

    /// `limit` (1–100, default 20) and the cursors, resolved to `seq`s by
    /// `lookup`, which returns `None` for ids outside the list.
    async fn page<F, Fut>(&self, lookup: F) -> AdminResult<PageRequest>
    where
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<Option<i64>, ApiError>>,
    {
        let mut p = self.q.page(lookup).await?;
        if self.q.str("limit").is_none() {
            p.limit = 20;
        }
        Ok(p)
    }

    /// [`Params::page`] for a list of `apps` (None: every app) in one mode:
    /// `fetch` loads a cursor's row, and a row outside the list counts as no
    /// cursor at all, so another tenant's id cannot steer the paging.
    pub async fn page_within<T, F, Fut>(
        &self,
        apps: &Option<Vec<String>>,
        livemode: bool,
        fetch: F,
    ) -> AdminResult<PageRequest>
    where
        T: Listed,
        F: Fn(String) -> Fut,
        Fut: std::future::Future<Output = Result<Option<T>, unicharge_store::StoreError>>,
    {
        self.page(|id| {
            let row = fetch(id);
            async move {
                Ok(row
                    .await?
                    .filter(|r| {
                        r.livemode() == livemode && apps.as_ref().is_none_or(|a| a.iter().any(|x| x == r.app_id()))
                    })
                    .map(|r| r.seq()))
            }
        })
        .await
    }
}

/// A row of a dashboard list: it belongs to one app and mode, and pages by `seq`.
pub trait Listed {
    fn app_id(&self) -> &str;
    fn livemode(&self) -> bool;
    fn seq(&self) -> i64;
}

macro_rules! listed {
    ($($row:ty),*) => {$(
        impl Listed for $row {
            fn app_id(&self) -> &str {
                &self.app_id
            }
            fn livemode(&self) -> bool {
                self.livemode
            }
            fn seq(&self) -> i64 {
                self.seq
            }
        }
    )*};
}
listed!(ChargeRow, EventRow, RefundRow);
