//! `unicharge user create|list|delete`: dashboard users. A generated password
//! is printed once and never logged or stored in the clear.

use anyhow::{anyhow, bail, Context};
use clap::Subcommand;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use unicharge_server::admin::users::{create_user, Role};
use unicharge_server::AppState;

#[derive(Subcommand, Debug)]
pub enum UserCmd {
    /// Create a dashboard user: an operator (--admin) or a tenant's user
    /// (--tenant). Without a password one is generated and shown once.
    Create {
        #[arg(long)]
        email: String,
        /// An operator: sees and manages every tenant.
        #[arg(long, conflicts_with = "tenant", required_unless_present = "tenant")]
        admin: bool,
        /// A tenant user: sees only this tenant's apps.
        #[arg(long)]
        tenant: Option<String>,
        /// The password (at least 10 characters). Visible to other local
        /// users in the process list: prefer --password-stdin.
        #[arg(long, conflicts_with = "password_stdin")]
        password: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        #[arg(long)]
        json: bool,
    },
    /// List dashboard users.
    List,
    /// Remove a dashboard user by id (usr_…) and end its sessions.
    Delete {
        #[arg(long)]
        id: String,
    },
}

fn read_stdin_password() -> anyhow::Result<SecretString> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).context("reading the password from standard input")?;
    let p = line.trim_end_matches(['\r', '\n']).to_owned();
    if p.is_empty() {
        bail!("no password on standard input");
    }
    Ok(SecretString::from(p))
}

pub async fn run_user(state: &AppState, cmd: UserCmd) -> anyhow::Result<()> {
    match cmd {
        UserCmd::Create { email, admin, tenant, password, password_stdin, json } => {
            let role = match (admin, tenant) {
                (true, _) => Role::Operator,
                (false, Some(t)) => Role::Tenant(t),
                (false, None) => bail!("give --admin or --tenant TENANT_ID"),
            };
            let password = match (password, password_stdin) {
                (Some(p), _) => Some(SecretString::from(p)),
                (None, true) => Some(read_stdin_password()?),
                (None, false) => None,
            };
            let u = create_user(state, &email, role, password).await.map_err(|e| anyhow!("{e}"))?;
            let shown = u.generated_password.as_ref().map(|p| p.expose_secret().to_owned());
            if json {
                let v = json!({"id": u.row.id, "email": u.row.email, "role": u.row.role,
                               "tenant": u.row.tenant_id, "password": shown});
                println!("{v}");
            } else {
                println!("user:  {}  {}  ({})", u.row.id, u.row.email, u.row.role);
                if let Some(p) = shown {
                    println!("password: {p}   (shown once)");
                }
            }
        }
        UserCmd::List => {
            for u in state.store.list_admin_users(None).await? {
                println!("{}  {}  {}  {}", u.id, u.email, u.role, u.tenant_id.as_deref().unwrap_or("-"));
            }
        }
        UserCmd::Delete { id } => {
            if !state.store.delete_admin_user(&id, unicharge_server::auth::now()).await? {
                bail!("no such user: {id}");
            }
            println!("removed {id}");
        }
    }
    Ok(())
}
