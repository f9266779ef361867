//! Events: the transactional outbox. Each is written in the transaction of
//! the state change it reports, so it exists if and only if the change does.

use crate::charges::{paginate, time_range};
use crate::entity::event::{self, Column as C};
use crate::{EventRow, Page, PageRequest, Store, StoreError, TimeRange};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};

#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: String,
    pub app_id: String,
    pub livemode: bool,
    pub kind: String,
    pub object_id: String,
    pub data: serde_json::Value,
    pub request_id: Option<String>,
    pub created: i64,
}

#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub app_ids: Vec<String>,
    pub livemode: bool,
    pub kind: Option<String>,
    pub created: TimeRange,
}

pub(crate) async fn insert_event<Conn: ConnectionTrait>(conn: &Conn, e: NewEvent) -> Result<EventRow, StoreError> {
    let data = crate::json_text(&e.data);
    let pending =
        crate::webhooks::fan_out(conn, &e.id, &e.app_id, e.livemode, &e.kind, &e.object_id, e.created).await?;
    let am = event::ActiveModel {
        id: Set(e.id.clone()),
        app_id: Set(e.app_id.clone()),
        livemode: Set(e.livemode),
        kind: Set(e.kind.clone()),
        object_id: Set(e.object_id.clone()),
        data: Set(data),
        pending_webhooks: Set(pending),
        request_id: Set(e.request_id.clone()),
        created: Set(e.created),
        ..Default::default()
    };
    Ok(event::Entity::insert(am).exec_with_returning(conn).await?)
}

impl Store {
    pub async fn get_event(&self, id: &str) -> Result<Option<EventRow>, StoreError> {
        Ok(event::Entity::find().filter(C::Id.eq(id)).one(&self.reader).await?)
    }

    pub async fn list_events(&self, f: &EventFilter, page: PageRequest) -> Result<Page<EventRow>, StoreError> {
        let mut cond =
            Condition::all().add(C::AppId.is_in(f.app_ids.iter().map(String::as_str))).add(C::Livemode.eq(f.livemode));
        if let Some(k) = &f.kind {
            cond = cond.add(C::Kind.eq(k.as_str()));
        }
        cond = time_range(cond, C::Created, f.created);
        paginate(event::Entity::find().filter(cond), C::Seq, page, &self.reader).await
    }

    pub async fn events_for_object(&self, object_id: &str) -> Result<Vec<EventRow>, StoreError> {
        Ok(event::Entity::find().filter(C::ObjectId.eq(object_id)).all(&self.writer).await?)
    }
}
