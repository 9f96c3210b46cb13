package org.hc.presentation

import org.hc.core.HcException

/**
 * Every text the screens show that depends on state, as an id plus arguments. The shells own the
 * words: Android maps [key] to `R.string.<key>` (res/values/strings.xml, values-zh-rCN), iOS to the same key in
 * Localizable.strings. Arguments are already formatted strings, so both platforms use `%1$s` / `%1$@`.
 */
enum class MessageId(val key: String, val argCount: Int = 0) {
    // HcError, one or more per variant
    ERROR_NOT_A_RESET_QR("error_not_a_reset_qr"),
    ERROR_INVALID_QR("error_invalid_qr"),
    /** The vendor's note: the device is not added to your account. Argument: serial. */
    ERROR_DEVICE_NOT_ADDED("error_device_not_added", 1),
    /** The vendor's note: the device has been added by another account. Argument: serial. */
    ERROR_DEVICE_ADDED_BY_OTHERS("error_device_added_by_others", 1),
    ERROR_NOT_LOGGED_IN("error_not_logged_in"),
    ERROR_SESSION_EXPIRED("error_session_expired"),
    /** Argument: seconds to wait. */
    ERROR_RATE_LIMITED("error_rate_limited", 1),
    ERROR_NETWORK("error_network"),
    /** Argument: HTTP status. */
    ERROR_SERVER("error_server", 1),
    ERROR_INVALID_CREDENTIALS("error_invalid_credentials"),
    ERROR_EMAIL_TAKEN("error_email_taken"),
    ERROR_WEAK_PASSWORD("error_weak_password"),
    ERROR_INVALID_EMAIL("error_invalid_email"),
    ERROR_INVALID_SERIAL("error_invalid_serial"),
    ERROR_WRONG_LABEL_CODE("error_wrong_label_code"),
    ERROR_ALREADY_ADDED("error_already_added"),
    ERROR_STORAGE("error_storage"),
    ERROR_INVALID_FRAME("error_invalid_frame"),

    // reset screen
    SCAN_HINT("scan_hint"),
    /** Arguments: model, serial. */
    SCAN_RECOGNIZED("scan_recognized", 2),
    /** Arguments: model, serial. */
    SCAN_REQUESTING("scan_requesting", 2),
    CODE_INSTRUCTIONS("code_instructions"),
    /** Argument: remaining time as m:ss. */
    CODE_VALID_FOR("code_valid_for", 1),
    CODE_EXPIRED("code_expired"),

    // device list
    DEVICES_EMPTY("devices_empty"),
    DEVICES_UPDATED_JUST_NOW("devices_updated_just_now"),
    /** Argument: minutes. */
    DEVICES_UPDATED_MINUTES_AGO("devices_updated_minutes_ago", 1),
    /** Argument: hours. */
    DEVICES_UPDATED_HOURS_AGO("devices_updated_hours_ago", 1),
    /** Argument: days. */
    DEVICES_UPDATED_DAYS_AGO("devices_updated_days_ago", 1),
    /** Added device. Argument: serial. */
    DEVICE_ADDED("device_added", 1),
}

/** A message to show: the shell looks [id] up and formats it with [args]. */
data class UiMessage(val id: MessageId, val args: List<String>) {
    init {
        require(args.size == id.argCount) { "${id.key} takes ${id.argCount} argument(s), got ${args.size}" }
    }

    constructor(id: MessageId, vararg args: Any) : this(id, args.map { it.toString() })
}

/** What the screen offers after a failure. */
enum class FailureAction { SCAN_AGAIN, RETRY, ADD_DEVICE, LOG_IN }

/**
 * The one mapping of core errors to messages. `detail` strings are for logs, never shown; a cloud
 * error code the user can act on gets its own message, any other a generic one with the status.
 */
fun HcException.toUiMessage(): UiMessage = when (this) {
    is HcException.NotAResetQr -> UiMessage(MessageId.ERROR_NOT_A_RESET_QR)
    is HcException.InvalidQr -> UiMessage(MessageId.ERROR_INVALID_QR)
    is HcException.DeviceNotAdded -> UiMessage(MessageId.ERROR_DEVICE_NOT_ADDED, serial)
    is HcException.DeviceAddedByOthers -> UiMessage(MessageId.ERROR_DEVICE_ADDED_BY_OTHERS, serial)
    is HcException.NotLoggedIn -> UiMessage(MessageId.ERROR_NOT_LOGGED_IN)
    is HcException.SessionExpired -> UiMessage(MessageId.ERROR_SESSION_EXPIRED)
    is HcException.RateLimited -> UiMessage(MessageId.ERROR_RATE_LIMITED, retryAfterSecs)
    is HcException.Network -> UiMessage(MessageId.ERROR_NETWORK)
    is HcException.Server -> when (code) {
        "invalid_credentials" -> UiMessage(MessageId.ERROR_INVALID_CREDENTIALS)
        "email_taken" -> UiMessage(MessageId.ERROR_EMAIL_TAKEN)
        "weak_password" -> UiMessage(MessageId.ERROR_WEAK_PASSWORD)
        "invalid_email" -> UiMessage(MessageId.ERROR_INVALID_EMAIL)
        "invalid_serial" -> UiMessage(MessageId.ERROR_INVALID_SERIAL)
        "wrong_label_code" -> UiMessage(MessageId.ERROR_WRONG_LABEL_CODE)
        "already_added" -> UiMessage(MessageId.ERROR_ALREADY_ADDED)
        else -> UiMessage(MessageId.ERROR_SERVER, status)
    }
    is HcException.Storage -> UiMessage(MessageId.ERROR_STORAGE)
    is HcException.InvalidFrame -> UiMessage(MessageId.ERROR_INVALID_FRAME)
}

/** What the user can do about an error. */
fun HcException.failureAction(): FailureAction = when (this) {
    is HcException.NotAResetQr, is HcException.InvalidQr, is HcException.InvalidFrame,
    is HcException.DeviceAddedByOthers -> FailureAction.SCAN_AGAIN
    is HcException.DeviceNotAdded -> FailureAction.ADD_DEVICE
    is HcException.NotLoggedIn, is HcException.SessionExpired -> FailureAction.LOG_IN
    is HcException.RateLimited, is HcException.Network, is HcException.Server,
    is HcException.Storage -> FailureAction.RETRY
}
