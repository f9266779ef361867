//! Operator commands. Each prints a human summary, or one JSON object with
//! `--json` for scripts.

use anyhow::{anyhow, bail, Context};
use clap::{Args, Parser, Subcommand};
use secrecy::ExposeSecret;
use serde_json::{json, Map, Value};
use std::path::PathBuf;
use unicharge_domain::{ChannelCode, Mode};
use unicharge_server::{channel_settings, ops, AppState};

pub mod users;

#[derive(Parser, Debug)]
#[command(name = "unicharge", version, about = "Unicharge: one charge API for every payment channel")]
pub struct Cli {
    /// TOML configuration file; UNICHARGE_* environment variables override it.
    #[arg(long, global = true, env = "UNICHARGE_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the HTTP server (migrations are applied first).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage apps.
    #[command(subcommand)]
    App(AppCmd),
    /// Manage API secret keys.
    #[command(subcommand)]
    Key(KeyCmd),
    /// Configure an app's payment channels.
    #[command(subcommand)]
    Channel(ChannelCmd),
    /// Manage an app's webhook endpoints.
    #[command(subcommand)]
    Webhook(WebhookCmd),
    /// Manage dashboard users.
    #[command(subcommand)]
    User(users::UserCmd),
}

#[derive(Subcommand, Debug)]
pub enum WebhookCmd {
    /// Add an endpoint; its signing secret is shown once.
    Create {
        #[arg(long)]
        app: String,
        #[arg(long, value_parser = ["test", "live"])]
        mode: String,
        #[arg(long)]
        url: String,
        /// Comma-separated event types, or * for all.
        #[arg(long, default_value = "*")]
        events: String,
        #[arg(long)]
        json: bool,
    },
    /// List an app's endpoints in one mode.
    List {
        #[arg(long)]
        app: String,
        #[arg(long, value_parser = ["test", "live"])]
        mode: String,
    },
    /// Delete an endpoint by id (we_…).
    Delete {
        #[arg(long)]
        id: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AppCmd {
    /// Create an app (and a tenant with test and live keys, unless --tenant is given).
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        tenant: Option<String>,
        /// PEM public key for Ping++ request signatures (`@path` reads a file).
        #[arg(long)]
        rsa_public_key: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List apps.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Set or clear an app's request-signing public key.
    SetPublicKey {
        #[arg(long)]
        app: String,
        #[arg(long, conflicts_with = "clear")]
        rsa_public_key: Option<String>,
        #[arg(long)]
        clear: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeyCmd {
    /// Create a secret key; it is shown once.
    Create {
        #[arg(long)]
        tenant: String,
        #[arg(long, value_parser = ["test", "live"])]
        mode: String,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key by its id (key_…).
    Revoke {
        #[arg(long)]
        id: String,
    },
    /// List a tenant's keys (hints only).
    List {
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ChannelCmd {
    /// Set a channel's parameters for an app and mode (`--param private_key=@key.pem`).
    Set(ChannelSet),
    /// Show an app's channel configurations (secrets are never shown).
    List {
        #[arg(long)]
        app: String,
    },
}

#[derive(Args, Debug)]
pub struct ChannelSet {
    #[arg(long)]
    pub app: String,
    #[arg(long)]
    pub channel: String,
    #[arg(long, value_parser = ["test", "live"])]
    pub mode: String,
    #[arg(long = "param", value_name = "KEY=VALUE")]
    pub params: Vec<String>,
    #[arg(long)]
    pub disable: bool,
}

/// `@path` reads the file; anything else is the value itself.
fn value_or_file(v: &str) -> anyhow::Result<String> {
    match v.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path).with_context(|| format!("cannot read {path}")),
        None => Ok(v.to_owned()),
    }
}

fn mode(s: &str) -> anyhow::Result<Mode> {
    Mode::parse(s).ok_or_else(|| anyhow!("mode must be test or live"))
}

fn api(e: unicharge_server::ApiError) -> anyhow::Error {
    anyhow!("{e}")
}

pub async fn run_app(state: &AppState, cmd: AppCmd) -> anyhow::Result<()> {
    match cmd {
        AppCmd::Create { name, tenant, rsa_public_key, json } => {
            let pem = rsa_public_key.as_deref().map(value_or_file).transpose()?;
            let (tenant_id, keys) = match tenant {
                Some(t) => (t, None),
                None => {
                    let t = ops::create_tenant(state, &name).await.map_err(api)?;
                    let test = ops::create_key(state, &t.id, Mode::Test).await.map_err(api)?;
                    let live = ops::create_key(state, &t.id, Mode::Live).await.map_err(api)?;
                    (t.id, Some((test, live)))
                }
            };
            let app = ops::create_app(state, &tenant_id, &name, pem).await.map_err(api)?;
            let keys_json =
                keys.as_ref().map(|(t, l)| json!({"test": t.secret.expose_secret(), "live": l.secret.expose_secret()}));
            if json {
                println!("{}", json!({"tenant": tenant_id, "app": app.id, "secret_keys": keys_json}));
            } else {
                println!("app:    {}\ntenant: {tenant_id}", app.id);
                if let Some((t, l)) = &keys {
                    println!(
                        "test secret key: {}\nlive secret key: {}",
                        t.secret.expose_secret(),
                        l.secret.expose_secret()
                    );
                    println!("(keys are shown once; `unicharge key create` makes more)");
                }
            }
        }
        AppCmd::List { json } => {
            let apps = state.store.list_apps(None).await?;
            if json {
                let v: Vec<Value> = apps
                    .iter()
                    .map(|a| json!({"id": a.id, "tenant": a.tenant_id, "name": a.name, "signed_requests": a.rsa_public_key.is_some()}))
                    .collect();
                println!("{}", Value::Array(v));
            } else {
                for a in apps {
                    println!("{}  tenant={}  name={}", a.id, a.tenant_id, a.name);
                }
            }
        }
        AppCmd::SetPublicKey { app, rsa_public_key, clear } => {
            let pem = match (rsa_public_key, clear) {
                (Some(v), false) => Some(value_or_file(&v)?),
                (None, true) => None,
                _ => bail!("give either --rsa-public-key or --clear"),
            };
            ops::set_app_public_key(state, &app, pem).await.map_err(api)?;
            println!("updated {app}");
        }
    }
    Ok(())
}

pub async fn run_key(state: &AppState, cmd: KeyCmd) -> anyhow::Result<()> {
    match cmd {
        KeyCmd::Create { tenant, mode: m, json } => {
            let k = ops::create_key(state, &tenant, mode(&m)?).await.map_err(api)?;
            if json {
                println!("{}", json!({"id": k.row.id, "secret": k.secret.expose_secret(), "mode": k.row.mode}));
            } else {
                println!("{}  {}  (shown once)", k.row.id, k.secret.expose_secret());
            }
        }
        KeyCmd::Revoke { id } => {
            let row = ops::revoke_key(state, &id).await.map_err(api)?;
            println!("revoked {} ({})", row.id, row.hint);
        }
        KeyCmd::List { tenant } => {
            for k in state.store.list_api_keys(&tenant).await? {
                println!("{}  {}  {}{}", k.id, k.mode, k.hint, if k.revoked { "  revoked" } else { "" });
            }
        }
    }
    Ok(())
}

pub async fn run_channel(state: &AppState, cmd: ChannelCmd) -> anyhow::Result<()> {
    match cmd {
        ChannelCmd::Set(s) => {
            let m = mode(&s.mode)?;
            let channel = ChannelCode::parse(&s.channel).map_err(|e| anyhow!("{e}"))?.config_code();
            if !channel.available_in(m) {
                bail!("{} is not available in {} mode", channel.as_str(), m.as_str());
            }
            if state.store.get_app(&s.app).await?.is_none() {
                bail!("no such app: {}", s.app);
            }
            let mut params = Map::new();
            for p in &s.params {
                let (k, v) = p.split_once('=').ok_or_else(|| {
                    anyhow!("--param takes KEY=VALUE, got '{k}'", k = p.split('=').next().unwrap_or(""))
                })?;
                params.insert(k.to_owned(), Value::String(value_or_file(v)?));
            }
            let specs = state.channels.get(channel).params();
            let row = channel_settings::seal_config(
                &state.sealer,
                specs,
                channel_settings::Target { app_id: &s.app, mode: m, channel },
                &params,
                !s.disable,
                unicharge_server::auth::now(),
            )
            .map_err(|e| anyhow!("{e}"))?;
            channel_settings::save(state, &row).await.map_err(api)?;
            println!("{}", channel_settings::render(&row, specs));
        }
        ChannelCmd::List { app } => {
            for row in state.store.list_channel_configs(&app).await? {
                if let Ok(c) = ChannelCode::parse(&row.channel) {
                    println!("{}", channel_settings::render(&row, state.channels.get(c).params()));
                }
            }
        }
    }
    Ok(())
}

pub async fn run_webhook(state: &AppState, cmd: WebhookCmd) -> anyhow::Result<()> {
    match cmd {
        WebhookCmd::Create { app, mode: m, url, events, json } => {
            let live = mode(&m)?.is_live();
            if state.store.get_app(&app).await?.is_none() {
                bail!("no such app: {app}");
            }
            let events: Vec<Value> = events.split(',').map(|e| Value::String(e.trim().to_owned())).collect();
            let (row, secret) =
                ops::create_endpoint(state, &app, live, Some(&Value::String(url)), Some(&Value::Array(events)), None)
                    .await
                    .map_err(api)?;
            let v = ops::render_endpoint(&row, Some(&secret));
            if json {
                println!("{v}");
            } else {
                println!("{}  {}\nsigning secret: {secret}   (shown once)", row.id, row.url);
            }
        }
        WebhookCmd::List { app, mode: m } => {
            for row in state.store.list_endpoints(&app, mode(&m)?.is_live()).await? {
                println!("{}", ops::render_endpoint(&row, None));
            }
        }
        WebhookCmd::Delete { id } => {
            if !state.store.delete_endpoint(&id).await? {
                bail!("no such webhook endpoint: {id}");
            }
            println!("deleted {id}");
        }
    }
    Ok(())
}
