"""The `detail` strings Open WebUI 0.12.4 answers with, as clients see them.

Clients show these texts to people and some match on them, so a compatible server
must send them byte for byte. Each was observed on the running upstream server.
"""

NOT_AUTHENTICATED = "Not authenticated"
UNAUTHORIZED = "401 Unauthorized"
INVALID_TOKEN = "Invalid token"
INVALID_AUTH_REQUEST = "Invalid authentication request."
SESSION_EXPIRED = (
    "Your session has expired or the token is invalid. Please sign in again."
)
HUMAN_SESSION_REQUIRED = "A human session is required."

ACCESS_PROHIBITED = (
    "You do not have permission to access this resource. "
    "Please contact your administrator for assistance."
)
ACTION_PROHIBITED = "The requested action has been restricted as a security measure."

INVALID_CRED = (
    "The email or password provided is incorrect. "
    "Please check for typos and try logging in again."
)
INCORRECT_PASSWORD = (
    "The password provided is incorrect. Please check for typos and try again."
)
INVALID_EMAIL_FORMAT = (
    "The email format you entered is invalid. Please double-check and make sure "
    "you're using a valid email address (e.g., yourname@example.com)."
)
EMAIL_TAKEN = (
    "Uh-oh! This email is already registered. "
    "Sign in with your existing account or choose another email to start anew."
)
PASSWORD_TOO_LONG = (
    "Uh-oh! The password you entered is too long. "
    "Please make sure your password is less than 72 bytes long."
)

API_KEY_NOT_FOUND = (
    "Oops! It looks like there's a hiccup. The API key is missing. "
    "Please make sure to provide a valid API key to access this feature."
)
API_KEY_NOT_ALLOWED = "Use of API key is not enabled in the environment."
API_KEY_CREATION_NOT_ALLOWED = "API key creation is not allowed in the environment."

NOT_FOUND = "We could not find what you're looking for :/"
USER_NOT_FOUND_FOR_REVOKE = "User not found."
SOMETHING_WENT_WRONG = "Something went wrong :/"

MODEL_ID_TAKEN = (
    "Uh-oh! This model id is already registered. Please choose another model id string."
)
MODEL_ID_TOO_LONG = (
    "The model id is too long. "
    "Please make sure your model id is less than 256 characters long."
)
RATE_LIMIT_EXCEEDED = "API rate limit exceeded"
