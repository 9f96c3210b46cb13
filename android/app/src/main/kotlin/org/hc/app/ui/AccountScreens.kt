package org.hc.app.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Add
import androidx.compose.material.icons.filled.MoreVert
import androidx.compose.material.icons.filled.Refresh
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.FloatingActionButton
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.ListItem
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
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.input.PasswordVisualTransformation
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.LifecycleResumeEffect
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import org.hc.app.R
import org.hc.app.text
import java.text.DateFormat
import java.util.Date
import org.hc.core.AuditActor
import org.hc.core.ErrorAction
import org.hc.presentation.AccountSecurityModel
import org.hc.presentation.AddDeviceModel
import org.hc.presentation.AuditModel
import org.hc.presentation.DeviceListModel
import org.hc.presentation.LoginModel
import org.hc.presentation.transferSerial

/**
 * Log in, or (after "No account yet?") create an account: the password twice, the core's rule under
 * the field, and what is wrong with it said while typing. An opening error says when the saved
 * session is another cloud's.
 */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun LoginScreen(model: LoginModel, onLoggedIn: () -> Unit, onForgotPassword: () -> Unit) {
    val screen by model.screen.collectAsStateWithLifecycle()
    var registering by rememberSaveable { mutableStateOf(false) }
    var email by rememberSaveable { mutableStateOf("") }
    var password by rememberSaveable { mutableStateOf("") }
    var passwordAgain by rememberSaveable { mutableStateOf("") }
    LaunchedEffect(screen.loggedIn) { if (screen.loggedIn) onLoggedIn() }
    val title = if (registering) R.string.register_title else R.string.login_title
    Scaffold(topBar = { TopAppBar(title = { Text(stringResource(title)) }) }) { padding ->
        Column(Modifier.padding(padding).padding(24.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
            OutlinedTextField(
                email, { email = it }, Modifier.fillMaxWidth(), label = { Text(stringResource(R.string.login_email)) },
                singleLine = true, keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Email),
            )
            OutlinedTextField(
                password, { password = it }, Modifier.fillMaxWidth(), label = { Text(stringResource(R.string.login_password)) },
                singleLine = true, visualTransformation = PasswordVisualTransformation(),
                keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Password),
                supportingText = if (registering) ({ Text(model.passwordRule.text()) }) else null,
            )
            if (registering) {
                OutlinedTextField(
                    passwordAgain, { passwordAgain = it }, Modifier.fillMaxWidth(),
                    label = { Text(stringResource(R.string.register_password_again)) },
                    singleLine = true, visualTransformation = PasswordVisualTransformation(),
                    keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Password),
                )
                model.passwordProblem(email, password, passwordAgain)?.let {
                    Text(it.text(), color = MaterialTheme.colorScheme.error)
                }
            }
            screen.error?.let { Text(it.text(), color = MaterialTheme.colorScheme.error) }
            if (registering) {
                Button({ model.register(email, password, passwordAgain) }, Modifier.fillMaxWidth(), enabled = !screen.busy) {
                    Text(stringResource(R.string.register_button))
                }
                TextButton({ registering = false }, Modifier.fillMaxWidth()) { Text(stringResource(R.string.login_button)) }
            } else {
                Button({ model.login(email, password) }, Modifier.fillMaxWidth(), enabled = !screen.busy) {
                    Text(stringResource(R.string.login_button))
                }
                OutlinedButton({ registering = true }, Modifier.fillMaxWidth(), enabled = !screen.busy) {
                    Text(stringResource(R.string.login_no_account))
                }
                TextButton(onForgotPassword, Modifier.fillMaxWidth()) { Text(stringResource(R.string.forgot_link)) }
            }
        }
    }
}

@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun DevicesScreen(model: DeviceListModel, onAddDevice: () -> Unit, onMore: () -> Unit, onLogIn: () -> Unit) {
    val screen by model.screen.collectAsStateWithLifecycle()
    // Cached list while fresh on each visit; the cache age text is recomputed on return.
    LifecycleResumeEffect(Unit) {
        model.refresh()
        model.tick()
        onPauseOrDispose { }
    }
    // "Remove" asks first: the core keeps the question in the screen until it is answered.
    screen.confirmRemoval?.let { device ->
        AlertDialog(
            onDismissRequest = model::cancelRemoval,
            title = { Text(stringResource(R.string.devices_remove_confirm_title, device.name)) },
            text = { Text(stringResource(R.string.devices_remove_confirm_text, device.name)) },
            confirmButton = {
                TextButton({ model.confirmRemoval() }) {
                    Text(stringResource(R.string.devices_remove), color = MaterialTheme.colorScheme.error)
                }
            },
            dismissButton = { TextButton(model::cancelRemoval) { Text(stringResource(R.string.action_cancel)) } },
        )
    }
    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(stringResource(R.string.devices_title)) },
                actions = {
                    IconButton({ model.refresh(force = true) }) {
                        Icon(Icons.Filled.Refresh, stringResource(R.string.devices_refresh))
                    }
                    IconButton(onMore) { Icon(Icons.Filled.MoreVert, stringResource(R.string.more_title)) }
                },
            )
        },
        floatingActionButton = {
            FloatingActionButton(onAddDevice) { Icon(Icons.Filled.Add, stringResource(R.string.add_device_title)) }
        },
    ) { padding ->
        Column(Modifier.padding(padding).fillMaxSize()) {
            // The cloud could not be reached: the list is the one saved on this phone.
            screen.savedList?.let {
                Text(it.text(), Modifier.padding(horizontal = 16.dp, vertical = 8.dp), color = MaterialTheme.colorScheme.error)
            }
            screen.cacheAge?.let {
                Text(it.text(), Modifier.padding(horizontal = 16.dp, vertical = 8.dp), style = MaterialTheme.typography.labelMedium)
            }
            screen.error?.let { error ->
                Row(Modifier.padding(16.dp)) {
                    Text(error.text(), Modifier.weight(1f), color = MaterialTheme.colorScheme.error)
                    if (screen.errorAction is ErrorAction.LogIn) {
                        TextButton(onLogIn) { Text(stringResource(R.string.action_log_in)) }
                    }
                }
            }
            screen.empty?.let { Text(it.text(), Modifier.padding(16.dp)) }
            LazyColumn {
                items(screen.devices, key = { it.serial }) { device ->
                    ListItem(
                        headlineContent = { Text(device.name) },
                        supportingContent = { Text("${device.model} · ${device.serial}") },
                        trailingContent = {
                            TextButton({ model.askToRemove(device.serial) }) { Text(stringResource(R.string.devices_remove)) }
                        },
                    )
                    HorizontalDivider()
                }
            }
        }
    }
}

@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun AddDeviceScreen(model: AddDeviceModel, onDone: () -> Unit, onAskForDevice: (String) -> Unit, onVerifyEmail: () -> Unit) {
    val screen by model.screen.collectAsStateWithLifecycle()
    var serial by rememberSaveable { mutableStateOf("") }
    var labelCode by rememberSaveable { mutableStateOf("") }
    var name by rememberSaveable { mutableStateOf("") }
    Scaffold(topBar = { TopAppBar(title = { Text(stringResource(R.string.add_device_title)) }) }) { padding ->
        Column(Modifier.padding(padding).padding(24.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
            OutlinedTextField(serial, { serial = it }, Modifier.fillMaxWidth(),
                label = { Text(stringResource(R.string.add_device_serial)) }, singleLine = true)
            OutlinedTextField(labelCode, { labelCode = it }, Modifier.fillMaxWidth(),
                label = { Text(stringResource(R.string.add_device_label_code)) }, singleLine = true)
            OutlinedTextField(name, { name = it }, Modifier.fillMaxWidth(),
                label = { Text(stringResource(R.string.add_device_name)) }, singleLine = true)
            // The vendor's "added by another account" note shows here too.
            screen.error?.let { Text(it.text(), color = MaterialTheme.colorScheme.error) }
            // Under it, the core's way out: ask for the device to be moved to this account.
            screen.errorHint?.let { Text(it.text()) }
            // Not verified yet: the mailed code first, then add the device.
            if (screen.errorAction is ErrorAction.VerifyEmail) {
                OutlinedButton(onVerifyEmail, Modifier.fillMaxWidth()) { Text(stringResource(R.string.action_verify_email)) }
            }
            screen.transferSerial?.let { serial ->
                OutlinedButton({ onAskForDevice(serial) }, Modifier.fillMaxWidth()) { Text(stringResource(R.string.transfer_ask)) }
            }
            screen.done?.let {
                Text(it.text())
                Button(onDone, Modifier.fillMaxWidth()) { Text(stringResource(R.string.action_done)) }
            } ?: Button({ model.add(serial, labelCode, name) }, Modifier.fillMaxWidth(), enabled = !screen.busy) {
                Text(stringResource(R.string.add_device_button))
            }
        }
    }
}

@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun MoreScreen(
    onResetDevicePassword: () -> Unit,
    onAccountSecurity: () -> Unit,
    onAudit: () -> Unit,
    onFeed: () -> Unit,
    onTransfers: () -> Unit,
    onLogOut: () -> Unit,
) {
    Scaffold(topBar = { TopAppBar(title = { Text(stringResource(R.string.more_title)) }) }) { padding ->
        Column(Modifier.padding(padding)) {
            ListItem(
                headlineContent = { Text(stringResource(R.string.reset_password_title)) },
                modifier = Modifier.clickable(onClick = onResetDevicePassword),
            )
            HorizontalDivider()
            ListItem(
                headlineContent = { Text(stringResource(R.string.security_title)) },
                modifier = Modifier.clickable(onClick = onAccountSecurity),
            )
            HorizontalDivider()
            ListItem(
                headlineContent = { Text(stringResource(R.string.audit_title)) },
                modifier = Modifier.clickable(onClick = onAudit),
            )
            HorizontalDivider()
            ListItem(
                headlineContent = { Text(stringResource(R.string.feed_title)) },
                modifier = Modifier.clickable(onClick = onFeed),
            )
            HorizontalDivider()
            ListItem(
                headlineContent = { Text(stringResource(R.string.transfers_title)) },
                modifier = Modifier.clickable(onClick = onTransfers),
            )
            HorizontalDivider()
            ListItem(
                headlineContent = { Text(stringResource(R.string.logout)) },
                modifier = Modifier.clickable(onClick = onLogOut),
            )
        }
    }
}

/** More > Account security: change the password (logs every other phone out), log out everywhere. */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun AccountSecurityScreen(model: AccountSecurityModel, onLoggedOut: () -> Unit) {
    val screen by model.screen.collectAsStateWithLifecycle()
    var current by rememberSaveable { mutableStateOf("") }
    var new by rememberSaveable { mutableStateOf("") }
    LaunchedEffect(screen.loggedIn) { if (!screen.loggedIn) onLoggedOut() }
    Scaffold(topBar = { TopAppBar(title = { Text(stringResource(R.string.security_title)) }) }) { padding ->
        Column(Modifier.padding(padding).padding(24.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
            OutlinedTextField(
                current, { current = it }, Modifier.fillMaxWidth(),
                label = { Text(stringResource(R.string.security_current_password)) },
                singleLine = true, visualTransformation = PasswordVisualTransformation(),
                keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Password),
            )
            OutlinedTextField(
                new, { new = it }, Modifier.fillMaxWidth(),
                label = { Text(stringResource(R.string.security_new_password)) },
                singleLine = true, visualTransformation = PasswordVisualTransformation(),
                keyboardOptions = KeyboardOptions(keyboardType = KeyboardType.Password),
            )
            screen.error?.let { Text(it.text(), color = MaterialTheme.colorScheme.error) }
            screen.done?.let { Text(it.text()) }
            Button({ model.changePassword(current, new) }, Modifier.fillMaxWidth(), enabled = !screen.busy) {
                Text(stringResource(R.string.security_change_password))
            }
            OutlinedButton({ model.logOutEverywhere() }, Modifier.fillMaxWidth(), enabled = !screen.busy) {
                Text(stringResource(R.string.security_log_out_everywhere))
            }
        }
    }
}

/**
 * More > Account activity: every reset-code request on this account and on its devices, newest
 * first, each in the core's words; another account's attempt names it masked. "Show older" pages back.
 */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun AccountActivityScreen(model: AuditModel) {
    val screen by model.screen.collectAsStateWithLifecycle()
    LaunchedEffect(Unit) { model.refresh() }
    val format = remember { DateFormat.getDateTimeInstance(DateFormat.MEDIUM, DateFormat.SHORT) }
    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(stringResource(R.string.audit_title)) },
                actions = {
                    IconButton({ model.refresh() }) { Icon(Icons.Filled.Refresh, stringResource(R.string.devices_refresh)) }
                },
            )
        },
    ) { padding ->
        LazyColumn(Modifier.padding(padding).fillMaxSize()) {
            screen.error?.let { error -> item { Text(error.text(), Modifier.padding(16.dp), color = MaterialTheme.colorScheme.error) } }
            if (screen.empty) item { Text(stringResource(R.string.audit_empty), Modifier.padding(16.dp)) }
            items(screen.events, key = { it.id }) { event ->
                val by = when (val actor = event.actor) {
                    is AuditActor.You -> stringResource(R.string.audit_by_you)
                    is AuditActor.OtherAccount -> stringResource(R.string.audit_by_other, actor.maskedEmail)
                }
                ListItem(
                    headlineContent = { Text(event.message.text()) },
                    supportingContent = { Text("${format.format(Date(event.atUnix * 1000))} · $by") },
                )
                HorizontalDivider()
            }
            if (screen.hasMore) {
                item {
                    TextButton({ model.more() }, Modifier.fillMaxWidth().padding(8.dp), enabled = !screen.loading) {
                        Text(stringResource(R.string.audit_more))
                    }
                }
            }
        }
    }
}
