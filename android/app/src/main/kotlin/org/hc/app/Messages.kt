package org.hc.app

import androidx.annotation.StringRes
import androidx.compose.runtime.Composable
import androidx.compose.ui.res.stringResource
import org.hc.core.MessageId
import org.hc.core.UiMessage

/** The string resource of each message id (exhaustive: a new id fails to compile until it has one). */
@StringRes
fun MessageId.res(): Int = when (this) {
    MessageId.ERROR_NOT_A_RESET_QR -> R.string.error_not_a_reset_qr
    MessageId.ERROR_INVALID_QR -> R.string.error_invalid_qr
    MessageId.ERROR_DEVICE_NOT_ADDED -> R.string.error_device_not_added
    MessageId.ERROR_DEVICE_ADDED_BY_OTHERS -> R.string.error_device_added_by_others
    MessageId.ERROR_NOT_LOGGED_IN -> R.string.error_not_logged_in
    MessageId.ERROR_SESSION_EXPIRED -> R.string.error_session_expired
    MessageId.ERROR_RATE_LIMITED -> R.string.error_rate_limited
    MessageId.ERROR_NETWORK -> R.string.error_network
    MessageId.ERROR_SERVER -> R.string.error_server
    MessageId.ERROR_INVALID_CREDENTIALS -> R.string.error_invalid_credentials
    MessageId.ERROR_EMAIL_TAKEN -> R.string.error_email_taken
    MessageId.ERROR_WEAK_PASSWORD -> R.string.error_weak_password
    MessageId.ERROR_PASSWORD_TOO_SHORT -> R.string.error_password_too_short
    MessageId.ERROR_PASSWORD_TOO_LONG -> R.string.error_password_too_long
    MessageId.ERROR_PASSWORD_COMMON -> R.string.error_password_common
    MessageId.ERROR_PASSWORD_IS_THE_EMAIL -> R.string.error_password_is_the_email
    MessageId.ERROR_INVALID_EMAIL -> R.string.error_invalid_email
    MessageId.ERROR_INVALID_SERIAL -> R.string.error_invalid_serial
    MessageId.ERROR_WRONG_LABEL_CODE -> R.string.error_wrong_label_code
    MessageId.ERROR_ALREADY_ADDED -> R.string.error_already_added
    MessageId.ERROR_NOT_FOUND -> R.string.error_not_found
    MessageId.ERROR_STORAGE -> R.string.error_storage
    MessageId.ERROR_INVALID_FRAME -> R.string.error_invalid_frame
    MessageId.ERROR_NOT_AN_HC_CLOUD -> R.string.error_not_an_hc_cloud
    MessageId.ERROR_INVALID_CLOUD_ADDRESS -> R.string.error_invalid_cloud_address
    MessageId.ERROR_SESSION_FOR_OTHER_CLOUD -> R.string.error_session_for_other_cloud
    MessageId.ERROR_PASSWORDS_DIFFER -> R.string.error_passwords_differ
    MessageId.ERROR_INVALID_LABEL_CODE -> R.string.error_invalid_label_code
    MessageId.ERROR_INVALID_PUSH_ENDPOINT -> R.string.error_invalid_push_endpoint
    MessageId.ERROR_TOO_MANY_PUSH_ENDPOINTS -> R.string.error_too_many_push_endpoints
    MessageId.ERROR_QR_ALREADY_USED -> R.string.error_qr_already_used
    MessageId.ERROR_TRANSFER_PENDING -> R.string.error_transfer_pending
    MessageId.ERROR_TRANSFER_REFUSED_RECENTLY -> R.string.error_transfer_refused_recently
    MessageId.ERROR_EMAIL_NOT_VERIFIED -> R.string.error_email_not_verified
    MessageId.ERROR_INVALID_MAILED_CODE -> R.string.error_invalid_mailed_code
    MessageId.ERROR_MAILED_CODE_WRONG -> R.string.error_mailed_code_wrong
    MessageId.ERROR_MAILED_CODE_SPENT -> R.string.error_mailed_code_spent
    MessageId.ERROR_MAILED_CODE_REFUSED -> R.string.error_mailed_code_refused
    MessageId.ERROR_EMAIL_ALREADY_VERIFIED -> R.string.error_email_already_verified
    MessageId.HINT_REQUEST_TRANSFER -> R.string.hint_request_transfer
    MessageId.SCAN_HINT -> R.string.scan_hint
    MessageId.SCAN_HINT_NO_CODE -> R.string.scan_hint_no_code
    MessageId.SCAN_HINT_TOO_SMALL -> R.string.scan_hint_too_small
    MessageId.SCAN_HINT_BLURRED -> R.string.scan_hint_blurred
    MessageId.SCAN_HINT_GLARE -> R.string.scan_hint_glare
    MessageId.SCAN_HINT_TOO_DARK -> R.string.scan_hint_too_dark
    MessageId.SCAN_RECOGNIZED -> R.string.scan_recognized
    MessageId.SCAN_REQUESTING -> R.string.scan_requesting
    MessageId.CODE_INSTRUCTIONS -> R.string.code_instructions
    MessageId.CODE_VALID_FOR -> R.string.code_valid_for
    MessageId.CODE_EXPIRED -> R.string.code_expired
    MessageId.DEVICES_EMPTY -> R.string.devices_empty
    MessageId.DEVICES_UPDATED_JUST_NOW -> R.string.devices_updated_just_now
    MessageId.DEVICES_UPDATED_MINUTES_AGO -> R.string.devices_updated_minutes_ago
    MessageId.DEVICES_UPDATED_HOURS_AGO -> R.string.devices_updated_hours_ago
    MessageId.DEVICES_UPDATED_DAYS_AGO -> R.string.devices_updated_days_ago
    MessageId.DEVICES_SAVED_LIST -> R.string.devices_saved_list
    MessageId.DEVICE_ADDED -> R.string.device_added
    MessageId.PASSWORD_RULE -> R.string.password_rule
    MessageId.ACCOUNT_CREATED -> R.string.account_created
    MessageId.VERIFY_EMAIL_SENT -> R.string.verify_email_sent
    MessageId.EMAIL_VERIFIED -> R.string.email_verified
    MessageId.FORGOT_PASSWORD_SENT -> R.string.forgot_password_sent
    MessageId.PASSWORD_RESET_DONE -> R.string.password_reset_done
    MessageId.AUDIT_ISSUED -> R.string.audit_issued
    MessageId.AUDIT_INVALID_QR -> R.string.audit_invalid_qr
    MessageId.AUDIT_DEVICE_NOT_ADDED -> R.string.audit_device_not_added
    MessageId.AUDIT_DEVICE_ADDED_BY_OTHERS -> R.string.audit_device_added_by_others
    MessageId.AUDIT_RATE_LIMITED -> R.string.audit_rate_limited
    MessageId.AUDIT_OTHER_ACCOUNT_REFUSED -> R.string.audit_other_account_refused
    MessageId.AUDIT_OTHER_ACCOUNT_RATE_LIMITED -> R.string.audit_other_account_rate_limited
    MessageId.PASSWORD_CHANGED -> R.string.password_changed
    MessageId.LOGGED_OUT_EVERYWHERE -> R.string.logged_out_everywhere
    MessageId.FEED_RESET_CODE_ISSUED -> R.string.feed_reset_code_issued
    MessageId.FEED_RESET_ATTEMPT_REFUSED -> R.string.feed_reset_attempt_refused
    MessageId.FEED_NEW_LOGIN -> R.string.feed_new_login
    MessageId.FEED_TRANSFER_REQUESTED -> R.string.feed_transfer_requested
    MessageId.FEED_TRANSFER_REFUSED -> R.string.feed_transfer_refused
    MessageId.FEED_TRANSFER_APPROVED -> R.string.feed_transfer_approved
    MessageId.FEED_TRANSFER_COMPLETED -> R.string.feed_transfer_completed
    MessageId.FEED_PASSWORD_RESET -> R.string.feed_password_reset
    MessageId.FEED_UNKNOWN -> R.string.feed_unknown
    MessageId.TRANSFER_OUTGOING_OPEN -> R.string.transfer_outgoing_open
    MessageId.TRANSFER_INCOMING_OPEN -> R.string.transfer_incoming_open
    MessageId.TRANSFER_CANCELLED -> R.string.transfer_cancelled
}

@Composable
fun UiMessage.text(): String = stringResource(id.res(), *args.toTypedArray())
