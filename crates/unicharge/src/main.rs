use clap::Parser;
use secrecy::ExposeSecret;
use unicharge::cli::{self, Cli, Command};
use unicharge::config::{Config, LogFormat};
use unicharge_domain::Mode;
use unicharge_server::{ops, AppState};

fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("UNICHARGE_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

#[actix_web::main]
async fn main() {
    let cli = Cli::parse();
    let cfg = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("unicharge: {e}");
            std::process::exit(2);
        }
    };
    init_logging(cfg.log_format);
    if let Err(e) = run(cli.command, cfg).await {
        eprintln!("unicharge: {e:#}");
        std::process::exit(1);
    }
}

async fn run(command: Command, cfg: Config) -> anyhow::Result<()> {
    let state = unicharge::build_state(&cfg).await?;
    match command {
        Command::Migrate => {
            println!("migrations applied");
            Ok(())
        }
        Command::App(c) => cli::run_app(&state, c).await,
        Command::Key(c) => cli::run_key(&state, c).await,
        Command::Channel(c) => cli::run_channel(&state, c).await,
        Command::Webhook(c) => cli::run_webhook(&state, c).await,
        Command::User(c) => cli::users::run_user(&state, c).await,
        Command::Serve => serve(cfg, state).await,
    }
}

async fn serve(cfg: Config, state: AppState) -> anyhow::Result<()> {
    let demo = first_start_demo(&state).await?;
    let operator = unicharge_server::admin::users::first_operator(&state, FIRST_OPERATOR_EMAIL)
        .await
        .map_err(|e| anyhow::anyhow!("creating the first dashboard user: {e}"))?;
    if cfg.redis_url.is_some() {
        tracing::info!("redis configured; the database remains the source of truth");
    }
    unicharge::spawn_maintenance(state.clone());
    unicharge::spawn_dispatcher_runtime(&cfg, &state)?;
    unicharge_server::sweep::spawn(state.clone(), std::time::Duration::from_secs(cfg.sweep_interval_secs));
    let server = unicharge::start(&cfg, state)?;
    // Printed, not logged: the key is shown to the operator once and must
    // never reach a log pipeline.
    println!("Unicharge is listening on {} (public URL {})", cfg.listen, cfg.public_url);
    println!("  API:     {}/v1   OpenAPI: {}/openapi.json", cfg.public_url, cfg.public_url);
    if let Some((app, key)) = demo {
        println!("First start: created a demo app with every channel enabled in test mode.");
        println!("  app id:          {app}");
        println!("  test secret key: {key}   (shown once; `unicharge key create` makes more)");
    }
    println!("  Dashboard: {}/dashboard", cfg.public_url);
    if let Some(u) = operator {
        if let Some(p) = &u.generated_password {
            println!("First start: created the dashboard operator (`unicharge user create` makes more).");
            println!("  email:    {}", u.row.email);
            println!("  password: {}   (shown once)", p.expose_secret());
        }
    }
    server.await?;
    Ok(())
}

/// The first operator's sign-in on a fresh database; its password is
/// generated and printed once.
const FIRST_OPERATOR_EMAIL: &str = "admin@localhost";

/// On an empty database, creates a demo tenant and app so a new user can
/// make a test charge straight away.
async fn first_start_demo(state: &AppState) -> anyhow::Result<Option<(String, String)>> {
    if !state.store.list_apps(None).await?.is_empty() {
        return Ok(None);
    }
    let err = |e: unicharge_server::ApiError| anyhow::anyhow!("{e}");
    let tenant = ops::create_tenant(state, "Demo").await.map_err(err)?;
    let key = ops::create_key(state, &tenant.id, Mode::Test).await.map_err(err)?;
    let app = ops::create_app(state, &tenant.id, "Demo app", None).await.map_err(err)?;
    Ok(Some((app.id, key.secret.expose_secret().to_owned())))
}
