"""The error strings clients see, word for word as Open WebUI 0.12.4 sends them.

The frontend and scripts match on these texts, so they are part of the contract.
"""

# region: messages
DEFAULT = "Something went wrong :/"
CREATE_USER_ERROR = (
    "Oops! Something went wrong while creating your account. Please try again "
    "later. If the issue persists, contact support for assistance."
)
EMAIL_TAKEN = (
    "Uh-oh! This email is already registered. Sign in with your existing account "
    "or choose another email to start anew."
)
PASSWORD_TOO_LONG = (
    "Uh-oh! The password you entered is too long. Please make sure your password "
    "is less than 72 bytes long."
)
MODEL_ID_TAKEN = (
    "Uh-oh! This model id is already registered. Please choose another model id string."
)
MODEL_ID_TOO_LONG = (
    "The model id is too long. Please make sure your model id is less than 256 "
    "characters long."
)
INVALID_TOKEN = (
    "Your session has expired or the token is invalid. Please sign in again."
)
INVALID_CRED = (
    "The email or password provided is incorrect. Please check for typos and try "
    "logging in again."
)
INVALID_EMAIL_FORMAT = (
    "The email format you entered is invalid. Please double-check and make sure "
    "you're using a valid email address (e.g., yourname@example.com)."
)
INCORRECT_PASSWORD = (
    "The password provided is incorrect. Please check for typos and try again."
)
UNAUTHORIZED = "401 Unauthorized"
ACCESS_PROHIBITED = (
    "You do not have permission to access this resource. Please contact your "
    "administrator for assistance."
)
ACTION_PROHIBITED = "The requested action has been restricted as a security measure."
NOT_FOUND = "We could not find what you're looking for :/"
API_KEY_NOT_FOUND = (
    "Oops! It looks like there's a hiccup. The API key is missing. Please make sure "
    "to provide a valid API key to access this feature."
)
API_KEY_NOT_ALLOWED = "Use of API key is not enabled in the environment."
CREATE_API_KEY_ERROR = (
    "Oops! Something went wrong while creating your API key. Please try again "
    "later. If the issue persists, contact support for assistance."
)
API_KEY_CREATION_NOT_ALLOWED = "API key creation is not allowed in the environment."
# endregion: messages

# region: auth-route-messages
NOT_AUTHENTICATED = "Not authenticated"
TOKEN_REVOKED = "Invalid token"
HUMAN_SESSION_REQUIRED = "A human session is required."
AUTH_CHANGED = "Authentication changed. Please sign in again."
INVALID_AUTH_REQUEST = "Invalid authentication request."
SIGNUP_FAILED = "An internal error occurred during signup."
# endregion: auth-route-messages

# region: twin-messages
# The twins' own answers, where upstream would fail with a 500 or has no such check.
SERVER_ERROR = "Internal Server Error"
REQUEST_BODY_TOO_LARGE = "Request body too large"
UNSTORABLE_TEXT = (
    "The request holds text the database cannot store: a NUL character (\\u0000)."
)
MESSAGES_NOT_A_LIST = "messages must be a list of chat messages."
INVALID_ROLE = "Invalid role: expected one of pending, user, admin."
# endregion: twin-messages

# region: model-messages
BACKGROUND_NOT_ACCESSIBLE = "Background image is not accessible."
AVATAR_NOT_ACCESSIBLE = "Avatar or animation file is not accessible. Upload it again."
# endregion: model-messages

# The model provider path (`routers/openai.py`, `routers/completions.py`).
SERVER_CONNECTION_ERROR = "Open WebUI: Server Connection Error"
OPENAI_DISABLED = "OpenAI API is disabled"
MODEL_NOT_FOUND = "Model not found"
CONNECTION_NOT_FOUND = "Connection not found"
UI_MODE = (
    "UI-mode chat completions (with session_id) stream their reply over Socket.IO "
    "and are served by Open WebUI; send the request without session_id to get the "
    "reply in the response."
)


def model_not_found(name: str = "") -> str:
    return f"Model '{name}' was not found"
