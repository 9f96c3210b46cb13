package org.hc.app.ui

import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material3.Button
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.hc.app.R
import org.hc.app.text
import org.hc.presentation.ForgotPasswordModel
import org.hc.presentation.ForgotPasswordStep
import org.hc.presentation.VerifyEmailModel

/**
 * After registration, or when adding a device or a reset code said the address is not verified:
 * the 6-digit code from the mail; "Send a new code", disabled while the cloud's wait runs.
 */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun VerifyEmailScreen(model: VerifyEmailModel, onDone: () -> Unit) {
    val screen by model.screen.collectAsStateWithLifecycle()
    var code by rememberSaveable { mutableStateOf("") }
    LaunchedEffect(Unit) { model.open() }
    Scaffold(topBar = { TopAppBar(title = { Text(stringResource(R.string.verify_title)) }) }) { padding ->
        Column(Modifier.padding(padding).padding(24.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
            screen.email?.let { if (!screen.verified) Text(stringResource(R.string.verify_intro, it)) }
            screen.codeSent?.let { Text(it.text()) }
            if (!screen.verified) {
                OutlinedTextField(
                    code, { code = it }, Modifier.fillMaxWidth(), label = { Text(stringResource(R.string.verify_code)) },
                    singleLine = true, keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.NumberPassword),
                )
            }
            screen.form.error?.let { Text(it.text(), color = MaterialTheme.colorScheme.error) }
            screen.resendWaitSecs?.let { Text(stringResource(R.string.verify_resend_wait, it.toString())) }
            screen.form.done?.let { Text(it.text()) }
            if (screen.verified) {
                Button(onDone, Modifier.fillMaxWidth()) { Text(stringResource(R.string.action_done)) }
            } else {
                // A spent code: the new one comes first.
                if (!screen.offerNewCode) {
                    Button({ model.verify(code) }, Modifier.fillMaxWidth(), enabled = !screen.form.busy) {
                        Text(stringResource(R.string.verify_button))
                    }
                }
                OutlinedButton({ model.resend() }, Modifier.fillMaxWidth(), enabled = screen.canResend) {
                    Text(stringResource(R.string.verify_resend))
                }
                TextButton(onDone, Modifier.fillMaxWidth()) { Text(stringResource(R.string.verify_later)) }
            }
        }
    }
}

/**
 * Login > "Forgot your password?": the address; then "if an account uses it, a code is on its way",
 * the code and the new password twice; then signed in with it.
 */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun ForgotPasswordScreen(model: ForgotPasswordModel, onSignedIn: () -> Unit) {
    val screen by model.screen.collectAsStateWithLifecycle()
    var email by rememberSaveable { mutableStateOf("") }
    var code by rememberSaveable { mutableStateOf("") }
    var password by rememberSaveable { mutableStateOf("") }
    var passwordAgain by rememberSaveable { mutableStateOf("") }
    Scaffold(topBar = { TopAppBar(title = { Text(stringResource(R.string.forgot_title)) }) }) { padding ->
        Column(Modifier.padding(padding).padding(24.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
            when (screen.step) {
                ForgotPasswordStep.ADDRESS -> {
                    OutlinedTextField(
                        email, { email = it }, Modifier.fillMaxWidth(), label = { Text(stringResource(R.string.login_email)) },
                        singleLine = true, keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Email),
                    )
                    screen.form.error?.let { Text(it.text(), color = MaterialTheme.colorScheme.error) }
                    Button({ model.send(email) }, Modifier.fillMaxWidth(), enabled = !screen.form.busy) {
                        Text(stringResource(R.string.forgot_send))
                    }
                }
                ForgotPasswordStep.CODE -> {
                    screen.codeSent?.let { Text(it.text()) }
                    OutlinedTextField(
                        code, { code = it }, Modifier.fillMaxWidth(), label = { Text(stringResource(R.string.verify_code)) },
                        singleLine = true, keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.NumberPassword),
                    )
                    OutlinedTextField(
                        password, { password = it }, Modifier.fillMaxWidth(),
                        label = { Text(stringResource(R.string.forgot_new_password)) },
                        singleLine = true, visualTransformation = PasswordVisualTransformation(),
                        keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Password),
                    )
                    OutlinedTextField(
                        passwordAgain, { passwordAgain = it }, Modifier.fillMaxWidth(),
                        label = { Text(stringResource(R.string.forgot_new_password_again)) },
                        singleLine = true, visualTransformation = PasswordVisualTransformation(),
                        keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Password),
                    )
                    model.passwordProblem(password, passwordAgain)?.let { Text(it.text(), color = MaterialTheme.colorScheme.error) }
                    screen.form.error?.let { Text(it.text(), color = MaterialTheme.colorScheme.error) }
                    Button({ model.reset(code, password, passwordAgain) }, Modifier.fillMaxWidth(), enabled = !screen.form.busy) {
                        Text(stringResource(R.string.forgot_reset_button))
                    }
                    OutlinedButton({ model.sendAgain() }, Modifier.fillMaxWidth(), enabled = !screen.form.busy) {
                        Text(stringResource(R.string.verify_resend))
                    }
                    TextButton({ model.otherAddress() }, Modifier.fillMaxWidth()) { Text(stringResource(R.string.forgot_other_address)) }
                }
                // Every session ended; this phone is signed in with the new password.
                ForgotPasswordStep.SIGNED_IN -> {
                    screen.form.done?.let { Text(it.text()) }
                    Button(onSignedIn, Modifier.fillMaxWidth()) { Text(stringResource(R.string.action_done)) }
                }
            }
        }
    }
}
