//! Creating dashboard users: shared by the CLI (`unicharge user create`),
//! the first start, and the operator's `POST /admin/api/users`.

use super::error::{AdminError, AdminResult};
use super::login::normalize_email;
use super::password;
use crate::auth::now;
use crate::state::AppState;
use crate::ApiError;
use secrecy::{ExposeSecret, SecretString};
use unicharge_store::admin_users::AdminUserRow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    Operator,
    Tenant(String),
}

/// A new user, with its password when it was generated here (to be shown
/// once and never stored in the clear).
pub struct NewUser {
    pub row: AdminUserRow,
    pub generated_password: Option<SecretString>,
}

fn check_email(raw: &str) -> AdminResult<String> {
    let email = normalize_email(raw);
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@') && !email.contains(char::is_whitespace)
        });
    if valid {
        Ok(email)
    } else {
        Err(AdminError::refused("parameter_invalid", "email must be an email address.", Some("email")))
    }
}

pub async fn create_user(
    state: &AppState,
    email: &str,
    role: Role,
    password: Option<SecretString>,
) -> AdminResult<NewUser> {
    let email = check_email(email)?;
    let tenant_id = match &role {
        Role::Operator => None,
        Role::Tenant(t) => {
            state.store.get_tenant(t).await?.ok_or_else(|| ApiError::not_found("tenant", t.clone()))?;
            Some(t.clone())
        }
    };
    let (password, generated) = match password {
        Some(p) => {
            password::check_strength(p.expose_secret())?;
            (p, false)
        }
        None => (password::generate(), true),
    };
    let row = AdminUserRow {
        id: format!("usr_{}", unicharge_domain::ids::random_alnum(24)),
        email: email.clone(),
        password_hash: password::hash(password.clone()).await?,
        role: if tenant_id.is_some() { "tenant" } else { "operator" }.to_owned(),
        tenant_id,
        created: now(),
    };
    if !state.store.create_admin_user(&row).await? {
        return Err(AdminError::refused("email_taken", format!("A user with email {email} exists."), Some("email")));
    }
    tracing::info!(user = %row.id, role = %row.role, "dashboard user created");
    Ok(NewUser { row, generated_password: generated.then_some(password) })
}

/// On an empty users table: an operator with a generated password, for the
/// first start to print. `None` when any user exists.
pub async fn first_operator(state: &AppState, email: &str) -> AdminResult<Option<NewUser>> {
    if state.store.count_admin_users().await? > 0 {
        return Ok(None);
    }
    match create_user(state, email, Role::Operator, None).await {
        Ok(u) => Ok(Some(u)),
        // Another node won the race on a shared database.
        Err(AdminError::Refused { code: "email_taken", .. }) => Ok(None),
        Err(e) => Err(e),
    }
}
