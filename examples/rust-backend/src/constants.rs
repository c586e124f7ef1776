//! The error strings clients see, word for word as Open WebUI 0.12.4 sends them.
//!
//! The frontend and scripts match on these texts, so they are part of the contract.

// region: messages
/// Upstream's catch-all message.
pub const DEFAULT: &str = "Something went wrong :/";
/// A new account could not be stored.
pub const CREATE_USER_ERROR: &str = "Oops! Something went wrong while creating your \
account. Please try again later. If the issue persists, contact support for assistance.";
/// Sign-up or an edit with an address another account has.
pub const EMAIL_TAKEN: &str = "Uh-oh! This email is already registered. Sign in with \
your existing account or choose another email to start anew.";
/// A new bcrypt password over 72 bytes.
pub const PASSWORD_TOO_LONG: &str = "Uh-oh! The password you entered is too long. \
Please make sure your password is less than 72 bytes long.";
/// A model id already in use.
pub const MODEL_ID_TAKEN: &str = "Uh-oh! This model id is already registered. Please choose another model id string.";
/// A model id over 256 characters.
pub const MODEL_ID_TOO_LONG: &str = "The model id is too long. Please make sure your \
model id is less than 256 characters long.";
/// A token whose user no longer exists.
pub const INVALID_TOKEN: &str =
    "Your session has expired or the token is invalid. Please sign in again.";
/// Sign-in with an unknown email or a wrong password.
pub const INVALID_CRED: &str = "The email or password provided is incorrect. Please \
check for typos and try logging in again.";
/// An address without `@` and a dot after it.
pub const INVALID_EMAIL_FORMAT: &str = "The email format you entered is invalid. Please \
double-check and make sure you're using a valid email address (e.g., \
yourname@example.com).";
/// A password change with the wrong current password.
pub const INCORRECT_PASSWORD: &str =
    "The password provided is incorrect. Please check for typos and try again.";
/// A token that does not decode.
pub const UNAUTHORIZED: &str = "401 Unauthorized";
/// A role guard refused.
pub const ACCESS_PROHIBITED: &str = "You do not have permission to access this \
resource. Please contact your administrator for assistance.";
/// An action upstream forbids whatever the role.
pub const ACTION_PROHIBITED: &str =
    "The requested action has been restricted as a security measure.";
/// A missing row.
pub const NOT_FOUND: &str = "We could not find what you're looking for :/";
/// A user without an API key asked for it.
pub const API_KEY_NOT_FOUND: &str = "Oops! It looks like there's a hiccup. The API key \
is missing. Please make sure to provide a valid API key to access this feature.";
/// An API key used while keys are off, or without the permission.
pub const API_KEY_NOT_ALLOWED: &str =
    "Use of API key is not enabled in the environment.";
/// An API key could not be stored.
pub const CREATE_API_KEY_ERROR: &str = "Oops! Something went wrong while creating your \
API key. Please try again later. If the issue persists, contact support for assistance.";
/// Keys are off, or the user lacks the permission.
pub const API_KEY_CREATION_NOT_ALLOWED: &str =
    "API key creation is not allowed in the environment.";
// endregion: messages

// region: auth-route-messages
/// No credential at all.
pub const NOT_AUTHENTICATED: &str = "Not authenticated";
/// A signed token that is stale: another stamp, a revoked `jti`.
pub const TOKEN_REVOKED: &str = "Invalid token";
/// An API key on a route that needs a person's session.
pub const HUMAN_SESSION_REQUIRED: &str = "A human session is required.";
/// The credentials changed since the token was issued.
pub const AUTH_CHANGED: &str = "Authentication changed. Please sign in again.";
/// Any malformed request to an auth route.
pub const INVALID_AUTH_REQUEST: &str = "Invalid authentication request.";
/// Sign-up failed on something else than the request: upstream's catch-all.
pub const SIGNUP_FAILED: &str = "An internal error occurred during signup.";
// endregion: auth-route-messages

// region: twin-messages
// The twins' own answers, where upstream would fail with a 500 or has no such check.
/// Anything unexpected: a handler that failed or panicked.
pub const SERVER_ERROR: &str = "Internal Server Error";
/// A body over `MAX_REQUEST_BODY_SIZE`.
pub const REQUEST_BODY_TOO_LARGE: &str = "Request body too large";
/// Text PostgreSQL cannot hold: a NUL.
pub const UNSTORABLE_TEXT: &str =
    "The request holds text the database cannot store: a NUL character (\\u0000).";
/// A completion whose `messages` is not a list (Open WebUI fails on it, or forwards
/// it for the provider to refuse).
pub const MESSAGES_NOT_A_LIST: &str = "messages must be a list of chat messages.";
/// A role outside `ROLES`, with `WEBUI_AUTH_STRICT_ROLES` (upstream stores it).
pub const INVALID_ROLE: &str = "Invalid role: expected one of pending, user, admin.";
// endregion: twin-messages

// region: model-messages
/// A model background image that is not a URL the viewer can load.
pub const BACKGROUND_NOT_ACCESSIBLE: &str = "Background image is not accessible.";
/// A model avatar or animation that is not accessible.
pub const AVATAR_NOT_ACCESSIBLE: &str =
    "Avatar or animation file is not accessible. Upload it again.";
// endregion: model-messages

// region: completion-messages
/// The connections are switched off.
pub const OPENAI_DISABLED: &str = "OpenAI API is disabled";
/// The provider could not be reached, or did not answer in time.
pub const SERVER_CONNECTION_ERROR: &str = "Open WebUI: Server Connection Error";
/// A model no connection lists (upstream's `MODEL_NOT_FOUND()`, with no name).
pub const UNKNOWN_MODEL: &str = "Model '' was not found";
/// A model the caller may not use, or that does not exist: one message for both.
pub const MODEL_NOT_FOUND: &str = "Model not found";
/// A connection index past the last connection.
pub const CONNECTION_NOT_FOUND: &str = "Connection not found";
// endregion: completion-messages
