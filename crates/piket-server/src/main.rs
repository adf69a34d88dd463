//! The `piket` command line: serve, migrate, user, apikey, backup, secrets, config.

mod serve;

use std::io::Read;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use piket_server::auth::actor::Actor;
use piket_server::clock::SystemClock;
use piket_server::config::{Config, Settings, DEFAULT_TOML};
use piket_server::{apikeys, auth, build_state, users};

/// mimalloc instead of the system allocator: glibc's malloc and free were a sixth of the
/// server's CPU on the ticket page under load, most of it in its multi-thread arenas
/// (bench/README.md, "Seventh session").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "piket",
    version,
    about = "Piket: a self-hosted IT service desk"
)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the data directory, apply migrations and serve HTTP
    Serve,
    /// Apply database migrations and exit
    Migrate,
    /// Manage user accounts
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API keys
    #[command(subcommand)]
    Apikey(ApikeyCommand),
    /// Write a consistent copy of the SQLite database while the server runs
    Backup {
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Stored secrets (asset credentials, licence keys)
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// Configuration helpers
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Fill an empty database with demo tickets from a fixed random seed (for demos and benchmarks)
    Seed {
        /// How many tickets
        #[arg(long, default_value_t = 1000)]
        tickets: u64,
        /// The random seed; the same seed gives the same data
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user (role names are case-insensitive: superadmin, admin, technician, requester, ...)
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        role: String,
        /// Read the password from standard input instead of asking
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's password (revokes their sessions)
    SetPassword {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum ApikeyCommand {
    /// Create an API key for a user; the key is printed once
    Create {
        #[arg(long)]
        user: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum SecretsCommand {
    /// Seal every stored secret under a new key and replace the key file (stop every server first)
    Rotate,
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print a commented piket.toml with every default
    PrintDefault,
}

fn read_password(from_stdin: bool) -> Result<String, String> {
    let mut text = String::new();
    if !from_stdin {
        eprint!("Password (input is shown; prefer --password-stdin in scripts): ");
    }
    std::io::stdin()
        .read_line(&mut text)
        .map_err(|e| e.to_string())?;
    if from_stdin && text.is_empty() {
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| e.to_string())?;
    }
    Ok(text.trim_end_matches(['\r', '\n']).to_string())
}

fn describe(e: piket_server::error::AppError) -> String {
    match e {
        piket_server::error::AppError::Invalid(errs) => errs
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    if let Command::Config(ConfigCommand::PrintDefault) = cli.command {
        print!("{DEFAULT_TOML}");
        return Ok(());
    }
    let config = Config::load(&cli.settings)?;
    let _log_files = piket_server::ops::logs::init(
        config.log_format,
        config.log_dir.as_deref(),
        config.log_retention_days,
    )?;
    match cli.command {
        Command::Serve => serve::run(config).await,
        Command::Migrate => {
            let state = build_state(config, Arc::new(SystemClock)).await?;
            println!("migrations applied ({:?})", state.db.backend);
            Ok(())
        }
        Command::User(UserCommand::Create {
            email,
            name,
            role,
            password_stdin,
        }) => {
            let password = read_password(password_stdin)?;
            let state = build_state(config, Arc::new(SystemClock)).await?;
            let input = users::NewUser {
                email,
                name,
                role: Some(role),
                role_id: None,
                departments: vec![],
                locale: None,
                password: Some(password).filter(|p| !p.is_empty()),
                phone: None,
            };
            let user = users::service::create(&state, &Actor::system(), input)
                .await
                .map_err(describe)?;
            println!(
                "created user {} <{}> with role {} (id {})",
                user.name, user.email, user.role_name, user.id
            );
            Ok(())
        }
        Command::User(UserCommand::SetPassword {
            email,
            password_stdin,
        }) => {
            let password = read_password(password_stdin)?;
            let state = build_state(config, Arc::new(SystemClock)).await?;
            auth::service::set_password_by_email(&state, &email, &password)
                .await
                .map_err(|e| match e {
                    piket_server::error::AppError::NotFound => {
                        format!("no user with email {email}")
                    }
                    other => describe(other),
                })?;
            println!("password updated; the user's sessions were signed out and API keys revoked");
            Ok(())
        }
        Command::Apikey(ApikeyCommand::Create { user, name }) => {
            let state = build_state(config, Arc::new(SystemClock)).await?;
            let mut conn = state.db.pool.acquire().await.map_err(|e| e.to_string())?;
            let user_id = users::accounts::id_by_email(&mut conn, &user.trim().to_lowercase())
                .await
                .map_err(describe)?
                .ok_or(format!("no user with email {user}"))?;
            drop(conn);
            let created = apikeys::service::create(
                &state,
                &Actor::system(),
                apikeys::NewApiKey {
                    name,
                    user_id: Some(user_id),
                },
            )
            .await
            .map_err(describe)?;
            eprintln!("API key created; it is shown only this once:");
            println!("{}", created.secret);
            Ok(())
        }
        Command::Backup { out } => {
            let db = piket_server::db::Db::connect(&config.database_url, config.database_pool)
                .await
                .map_err(|e| e.to_string())?;
            db.backup_sqlite(&out).await.map_err(|e| e.to_string())?;
            println!("backup written to {}", out.display());
            println!(
                "the secret key {} is not in the backup: keep a copy of it apart from the \
                 backups; without it the asset credentials and licence keys in them are lost",
                config.secret_key_file.display()
            );
            Ok(())
        }
        Command::Secrets(SecretsCommand::Rotate) => {
            let state = build_state(config, Arc::new(SystemClock)).await?;
            let path = state.config.secret_key_file.clone();
            let done = piket_server::secrets::rotate::run(&state.db, &path, &state.secrets).await?;
            println!(
                "{} secret(s) re-sealed; key {} replaced by key {} in {}",
                done.resealed,
                done.old_key,
                done.new_key,
                path.display()
            );
            if done.broken > 0 {
                println!(
                    "{} malformed secret(s) were left as they were (unreadable before too): set them again",
                    done.broken
                );
            }
            println!("restart every piket server now, and replace your saved copy of the key with the new file");
            Ok(())
        }
        Command::Seed { tickets, seed } => {
            let state = build_state(config, Arc::new(SystemClock)).await?;
            let started = std::time::Instant::now();
            let plan = piket_server::seed::Plan { tickets, seed };
            let report = piket_server::seed::run(&state, &plan)
                .await
                .map_err(describe)?;
            println!(
                "seeded {} tickets, {} replies and notes, {} users in {:.1} s (seed {seed})",
                report.tickets,
                report.comments,
                report.users,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Config(_) => Ok(()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
