//! The one flow of a posted form: valid, a 303 to the next page (with a notice in its query);
//! invalid, the same form again with 422 and its field errors; anything else, the error page.
//!
//! ```text
//! match submitted(service::create(&state, &actor, input).await)? {
//!     Submitted::Done(_) => see_other("/admin/departments?msg=created"),
//!     Submitted::Again(e) => form(&state, &ctx, None, &f, Some(&e)),
//! }
//! // … and the page's own `form` ends in `form_page(&page, failed)`.
//! ```

use axum::http::header::LOCATION;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::render::html;
use crate::error::{AppError, AppResult};

/// What became of a submitted form.
#[derive(Debug)]
pub enum Submitted<T> {
    /// The service took it; `T` is what it made or changed.
    Done(T),
    /// The service refused its values (`AppError::Invalid`): show the form again with these.
    Again(AppError),
}

/// Sorts a service's answer to a form: field errors become [`Submitted::Again`], every other
/// error stays an error (for the error page).
pub fn submitted<T>(result: AppResult<T>) -> AppResult<Submitted<T>> {
    match result {
        Ok(done) => Ok(Submitted::Done(done)),
        Err(e @ AppError::Invalid(_)) => Ok(Submitted::Again(e)),
        Err(e) => Err(e),
    }
}

/// As [`submitted`], for forms whose `field` must be unique: a conflict (the name is taken) is
/// shown by that field too. The API keeps answering 409 for it.
pub fn submitted_unique<T>(result: AppResult<T>, field: &str) -> AppResult<Submitted<T>> {
    submitted(result.map_err(|e| match e {
        AppError::Conflict(message) => AppError::invalid(field, message),
        other => other,
    }))
}

/// `303 See Other` to `path`, a path on this site with its query (`/admin/users?msg=saved`).
/// A path that cannot be a `Location` is an internal error (the error page, not a panic).
pub fn see_other(path: &str) -> AppResult<Response> {
    let location = HeaderValue::try_from(path)
        .map_err(|_| AppError::Internal(format!("not a redirect target: {path:?}")))?;
    Ok((StatusCode::SEE_OTHER, [(LOCATION, location)]).into_response())
}

/// A form page: 200 the first time, 422 when it comes back after `failed`.
pub fn form_page<T: askama::Template>(page: &T, failed: Option<&AppError>) -> AppResult<Response> {
    let status = match failed {
        Some(_) => StatusCode::UNPROCESSABLE_ENTITY,
        None => StatusCode::OK,
    };
    Ok((status, html(page)?).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use askama::Template;

    #[derive(Template)]
    #[template(source = "<p>{{ name }}</p>", ext = "html")]
    struct Page<'a> {
        name: &'a str,
    }

    #[test]
    fn field_errors_come_back_and_other_errors_pass_through() {
        assert!(matches!(
            submitted(Ok::<_, AppError>(7)),
            Ok(Submitted::Done(7))
        ));
        let again = submitted::<()>(Err(AppError::invalid("name", "is required")));
        assert!(matches!(again, Ok(Submitted::Again(AppError::Invalid(_)))));
        for other in [
            AppError::NotFound,
            AppError::Forbidden,
            AppError::Conflict("x".into()),
        ] {
            assert!(submitted::<()>(Err(other)).is_err());
        }
    }

    #[test]
    fn a_conflict_on_a_unique_field_is_that_fields_error() {
        let taken = submitted_unique::<()>(Err(AppError::Conflict("is taken".into())), "name");
        let Ok(Submitted::Again(AppError::Invalid(errors))) = taken else {
            panic!("{taken:?}");
        };
        assert_eq!(
            (errors[0].field.as_str(), errors[0].message.as_str()),
            ("name", "is taken")
        );
        assert!(submitted_unique::<()>(Err(AppError::NotFound), "name").is_err());
    }

    #[test]
    fn redirects_are_303_and_a_bad_target_is_an_error() {
        let r = see_other("/admin/users?msg=saved").unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(r.headers()[LOCATION], "/admin/users?msg=saved");
        assert!(matches!(
            see_other("/a\r\nSet-Cookie: x=1"),
            Err(AppError::Internal(_))
        ));
    }

    #[test]
    fn a_form_is_200_first_and_422_after_a_failure() {
        let page = Page { name: "<b>" };
        let first = form_page(&page, None).unwrap();
        assert_eq!(first.status(), StatusCode::OK);
        let failed = AppError::invalid("name", "is required");
        let again = form_page(&page, Some(&failed)).unwrap();
        assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
}
