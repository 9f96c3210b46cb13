package org.hc.presentation

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.hc.core.AccountScreen
import org.hc.core.ErrorAction
import org.hc.core.HcClient
import org.hc.core.HcException
import org.hc.core.MessageId
import org.hc.core.UiMessage
import org.hc.core.accountDone
import org.hc.core.accountFailed
import org.hc.core.accountIdle
import org.hc.core.accountWorking
import org.hc.core.checkNewPassword
import org.hc.core.codeSentMessage
import org.hc.core.emailVerifiedMessage
import org.hc.core.errorAction
import org.hc.core.errorMessage
import org.hc.core.plainMessage

// The codes the cloud mails to the account's address (#21): verifying it after sign-up, and setting
// a forgotten password. What is said and offered is the core's (errorMessage, errorAction,
// codeSentMessage); these models keep which step the screen is at and run the calls.

/**
 * The verify-email step: after registration, and wherever the core offers [ErrorAction.VerifyEmail]
 * (adding a device, a reset code) because the address is not verified yet.
 */
data class VerifyEmailScreen(
    /** Busy while a code or a resend is on its way; done says the address is verified; else the core's error and action. */
    val form: AccountScreen,
    /** The account's address, once read: the screen says where the code went. */
    val email: String? = null,
    val verified: Boolean = false,
    /** After "Send a new code": where it went and for how long, in the core's words. */
    val codeSent: UiMessage? = null,
    /** The cloud limits new codes: seconds until "Send a new code" works again; null: it works now. */
    val resendWaitSecs: Long? = null,
) {
    /** The code can no longer be used (expired, used, out of tries): the screen offers a new one first. */
    val offerNewCode: Boolean get() = form.errorAction == ErrorAction.RequestNewCode

    /** Whether "Send a new code" is enabled. */
    val canResend: Boolean get() = !verified && !form.busy && resendWaitSecs == null
}

class VerifyEmailModel(
    private val client: HcClient,
    private val scope: CoroutineScope,
    private val clock: Clock = Clock.System,
) {
    private val _screen = MutableStateFlow(VerifyEmailScreen(accountIdle(client.isLoggedIn())))
    val screen: StateFlow<VerifyEmailScreen> = _screen.asStateFlow()
    private var resendAtMillis: Long? = null
    private var ticker: Job? = null

    /** Opening the screen: the account's address and whether it is verified already. */
    fun open(): Job = scope.launch {
        try {
            val status = client.accountStatus()
            _screen.update { it.copy(email = status.email, verified = status.emailVerified) }
        } catch (e: HcException) {
            _screen.update { it.copy(form = accountFailed(client.isLoggedIn(), e)) }
        }
    }

    /** The code as typed (spaces, dashes and full-width digits are fine: the core reads it). */
    fun verify(code: String): Job {
        _screen.update { it.copy(form = accountWorking(it.form)) }
        return scope.launch {
            try {
                val status = client.verifyEmail(code)
                val done = emailVerifiedMessage(status)
                _screen.update {
                    it.copy(
                        form = accountDone(client.isLoggedIn(), done), email = status.email,
                        verified = status.emailVerified, codeSent = null,
                    )
                }
            } catch (e: HcException) {
                _screen.update { it.copy(form = accountFailed(client.isLoggedIn(), e)) }
            }
        }
    }

    /** "Send a new code": the previous one stops working. Too many: the wait counts down to the next. */
    fun resend(): Job {
        _screen.update { it.copy(form = accountWorking(it.form), codeSent = null) }
        return scope.launch {
            try {
                val validForSecs = client.resendVerification()
                val email = _screen.value.email ?: client.accountStatus().email
                _screen.update {
                    it.copy(
                        form = accountDone(client.isLoggedIn(), null), email = email,
                        codeSent = codeSentMessage(email, false, validForSecs),
                    )
                }
            } catch (e: HcException) {
                _screen.update { it.copy(form = accountFailed(client.isLoggedIn(), e)) }
                (errorAction(e) as? ErrorAction.WaitThenRetry)?.let { wait ->
                    synchronized(this@VerifyEmailModel) { resendAtMillis = clock.nowMillis() + wait.seconds.toLong() * 1000 }
                    tick()
                }
            }
        }
    }

    /** Counts the wait for a new code down at the clock's time, once a second until it is over. */
    fun tick() {
        synchronized(this) {
            ticker?.cancel()
            ticker = null
            val left = resendAtMillis?.let { (it - clock.nowMillis() + 999) / 1000 }
            if (left == null || left <= 0) {
                resendAtMillis = null
                _screen.update { it.copy(resendWaitSecs = null) }
                return
            }
            _screen.update { it.copy(resendWaitSecs = left) }
            ticker = scope.launch {
                delay(1_000)
                tick()
            }
        }
    }
}

/** Where "Forgot password" is: the address, then the mailed code and the new password twice, then signed in. */
enum class ForgotPasswordStep { ADDRESS, CODE, SIGNED_IN }

data class ForgotPasswordScreen(
    val form: AccountScreen,
    val step: ForgotPasswordStep = ForgotPasswordStep.ADDRESS,
    /** The address the code was asked for. */
    val email: String = "",
    /** "If an account uses X, a code is on its way": the same words whether or not one does. */
    val codeSent: UiMessage? = null,
)

class ForgotPasswordModel(private val client: HcClient, private val scope: CoroutineScope) {
    private val _screen = MutableStateFlow(ForgotPasswordScreen(accountIdle(client.isLoggedIn())))
    val screen: StateFlow<ForgotPasswordScreen> = _screen.asStateFlow()

    /** The address as typed (the core trims it); also "Send a new code" on the code step. */
    fun send(email: String): Job {
        _screen.update { it.copy(form = accountWorking(it.form)) }
        return scope.launch {
            try {
                val validForSecs = client.forgotPassword(email)
                _screen.update {
                    it.copy(
                        form = accountDone(client.isLoggedIn(), null), step = ForgotPasswordStep.CODE,
                        email = email, codeSent = codeSentMessage(email, true, validForSecs),
                    )
                }
            } catch (e: HcException) {
                _screen.update { it.copy(form = accountFailed(client.isLoggedIn(), e)) }
            }
        }
    }

    /** A new code to the same address (the last one is spent or lost). */
    fun sendAgain(): Job = send(_screen.value.email)

    /** "Use another address": back to the first step. */
    fun otherAddress() = _screen.update { ForgotPasswordScreen(accountIdle(client.isLoggedIn()), email = it.email) }

    /** The new password as typed, checked by the core before anything is sent; null: nothing wrong (or nothing typed). */
    fun passwordProblem(password: String, passwordAgain: String): UiMessage? {
        if (password.isEmpty()) return null
        return try {
            checkNewPassword(_screen.value.email, password, passwordAgain.ifEmpty { password })
            null
        } catch (e: HcException) {
            errorMessage(e)
        }
    }

    /** Sets the new password with the mailed code; every session ends and this phone signs in with it. */
    fun reset(code: String, password: String, passwordAgain: String): Job {
        val email = _screen.value.email
        _screen.update { it.copy(form = accountWorking(it.form)) }
        return scope.launch {
            try {
                client.resetPassword(email, code, password, passwordAgain)
                _screen.update {
                    it.copy(
                        form = accountDone(client.isLoggedIn(), plainMessage(MessageId.PASSWORD_RESET_DONE)),
                        step = ForgotPasswordStep.SIGNED_IN,
                    )
                }
            } catch (e: HcException) {
                _screen.update { it.copy(form = accountFailed(client.isLoggedIn(), e)) }
            }
        }
    }
}
