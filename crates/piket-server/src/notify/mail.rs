//! Email delivery over SMTP (lettre); with no SMTP configured, messages are written to the log.

use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message as Email, Tokio1Executor};

use super::outbox::Message;
use crate::config::{SmtpConfig, SmtpSecurity};
use crate::mail::thread::OutHeaders;
use crate::mail::token;

pub enum Mailer {
    Smtp {
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        from: Mailbox,
    },
    /// No SMTP configured: the message (and so a reset link) goes to the log.
    Log,
}

impl Mailer {
    pub fn from_config(smtp: Option<&SmtpConfig>) -> Result<Mailer, String> {
        let Some(cfg) = smtp else {
            return Ok(Mailer::Log);
        };
        let builder = match cfg.security {
            SmtpSecurity::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&cfg.host).map_err(|e| e.to_string())?
            }
            SmtpSecurity::StartTls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&cfg.host)
                    .map_err(|e| e.to_string())?
            }
            SmtpSecurity::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&cfg.host)
            }
        };
        let mut builder = builder
            .port(cfg.port)
            .timeout(Some(std::time::Duration::from_secs(20)));
        if let (Some(user), Some(pass)) = (&cfg.username, &cfg.password) {
            builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
        }
        let from: Mailbox = cfg.from.parse().map_err(|e| format!("smtp_from: {e}"))?;
        Ok(Mailer::Smtp {
            transport: Box::new(builder.build()),
            from,
        })
    }

    pub fn is_configured(&self) -> bool {
        matches!(self, Mailer::Smtp { .. })
    }

    /// Send `msg`; an email about a ticket gets its signed Message-ID (from `signing`) and the
    /// threading headers stored with it.
    pub async fn send(&self, msg: &Message, signing: &[u8; 32]) -> Result<(), String> {
        match self {
            Mailer::Log => {
                tracing::info!(to = %msg.recipient, subject = %msg.subject, body = %msg.body, "email (no SMTP configured)");
                Ok(())
            }
            Mailer::Smtp { transport, from } => {
                let to: Mailbox = msg
                    .recipient
                    .parse()
                    .map_err(|e| format!("recipient: {e}"))?;
                let domain = from.email.domain().to_string();
                let mut builder = Email::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(&msg.subject);
                builder = match msg.ticket_id {
                    Some(ticket) => {
                        let h: OutHeaders = serde_json::from_str(&msg.headers).unwrap_or_default();
                        if let Some(reply_to) = h.reply_to.as_deref().and_then(|r| r.parse().ok()) {
                            builder = builder.reply_to(reply_to);
                        }
                        if let Some(irt) = h.in_reply_to {
                            builder = builder.in_reply_to(irt);
                        }
                        if !h.references.is_empty() {
                            builder = builder.references(h.references.join(" "));
                        }
                        builder
                            .message_id(Some(token::message_id(signing, msg.id, ticket, &domain)))
                    }
                    None => builder.message_id(Some(format!("<outbox-{}@{domain}>", msg.id))),
                };
                let email = builder
                    .header(ContentType::TEXT_PLAIN)
                    .body(msg.body.clone())
                    .map_err(|e| e.to_string())?;
                transport
                    .send(email)
                    .await
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        }
    }
}
