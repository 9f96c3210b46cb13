package org.hc.app.ui

import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.PickVisualMediaRequest
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.lazy.LazyColumn
import androidx.compose.foundation.lazy.items
import androidx.compose.material.icons.Icons
import androidx.compose.material.icons.filled.Refresh
import androidx.compose.material3.Button
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.HorizontalDivider
import androidx.compose.material3.Icon
import androidx.compose.material3.IconButton
import androidx.compose.material3.ListItem
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.LifecycleResumeEffect
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import java.text.DateFormat
import java.util.Date
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import org.hc.app.R
import org.hc.app.text
import org.hc.presentation.RequestTransferModel
import org.hc.presentation.RequestTransferScreen
import org.hc.presentation.SecurityFeedModel
import org.hc.presentation.TransfersModel

/**
 * More > Security feed: every event of the account in the core's words, newest first; new ones
 * appear while the screen is in front (the core's feed stream runs between resume and pause).
 */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun SecurityFeedScreen(model: SecurityFeedModel, onLogIn: () -> Unit) {
    val screen by model.screen.collectAsStateWithLifecycle()
    LifecycleResumeEffect(Unit) {
        model.open()
        onPauseOrDispose { model.close() }
    }
    val format = remember { DateFormat.getDateTimeInstance(DateFormat.MEDIUM, DateFormat.SHORT) }
    Scaffold(topBar = { TopAppBar(title = { Text(stringResource(R.string.feed_title)) }) }) { padding ->
        LazyColumn(Modifier.padding(padding).fillMaxSize()) {
            screen.error?.let { error ->
                item {
                    Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
                        Text(error.text(), color = MaterialTheme.colorScheme.error)
                        when (screen.errorAction) {
                            is org.hc.core.ErrorAction.LogIn -> Button(onLogIn) { Text(stringResource(R.string.action_log_in)) }
                            else -> Button({ model.open() }) { Text(stringResource(R.string.action_retry)) }
                        }
                    }
                }
            }
            if (screen.events.isEmpty() && screen.error == null) {
                item { Text(stringResource(R.string.feed_empty), Modifier.padding(16.dp)) }
            }
            items(screen.events, key = { it.id }) { event ->
                ListItem(
                    headlineContent = { Text(event.message.text()) },
                    supportingContent = { Text(format.format(Date(event.atUnix * 1000))) },
                )
                HorizontalDivider()
            }
        }
    }
}

/**
 * More > Device transfers: this account's requests counting down, and the requests for its
 * devices with Approve and Refuse.
 */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun TransfersListScreen(model: TransfersModel) {
    val screen by model.screen.collectAsStateWithLifecycle()
    LifecycleResumeEffect(Unit) {
        model.refresh()
        onPauseOrDispose { model.close() }
    }
    Scaffold(
        topBar = {
            TopAppBar(
                title = { Text(stringResource(R.string.transfers_title)) },
                actions = {
                    IconButton({ model.refresh() }) { Icon(Icons.Filled.Refresh, stringResource(R.string.devices_refresh)) }
                },
            )
        },
    ) { padding ->
        LazyColumn(Modifier.padding(padding).fillMaxSize()) {
            screen.error?.let { error -> item { Text(error.text(), Modifier.padding(16.dp), color = MaterialTheme.colorScheme.error) } }
            if (screen.empty) item { Text(stringResource(R.string.transfers_empty), Modifier.padding(16.dp)) }
            items(screen.rows, key = { it.transfer.id }) { row ->
                ListItem(headlineContent = { Text(row.message.text()) })
                // The current owner's answer; the countdown in the words is recomputed every second.
                if (row.canDecide) {
                    Row(Modifier.padding(horizontal = 16.dp, vertical = 8.dp), horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                        Button({ model.approve(row.transfer.id) }, enabled = !screen.loading) {
                            Text(stringResource(R.string.transfer_approve))
                        }
                        OutlinedButton({ model.refuse(row.transfer.id) }, enabled = !screen.loading) {
                            Text(stringResource(R.string.transfer_refuse))
                        }
                    }
                }
                HorizontalDivider()
            }
        }
    }
}

/**
 * "Ask for this device", from the "added by another account" note: a photo of the QR code the
 * device shows now (or its text) and the label code.
 */
@OptIn(ExperimentalMaterial3Api::class)
@Composable
fun AskForDeviceScreen(model: RequestTransferModel, onTransfers: () -> Unit) {
    val screen by model.screen.collectAsStateWithLifecycle()
    var qrText by rememberSaveable { mutableStateOf("") }
    var labelCode by rememberSaveable { mutableStateOf("") }
    val context = LocalContext.current
    val scope = rememberCoroutineScope()
    val pickPhoto = rememberLauncherForActivityResult(ActivityResultContracts.PickVisualMedia()) { uri ->
        if (uri != null) scope.launch {
            val bytes = withContext(Dispatchers.IO) {
                context.contentResolver.openInputStream(uri)?.use { it.readBytes() }
            }
            if (bytes != null) model.requestFromImage(bytes, labelCode)
        }
    }
    Scaffold(topBar = { TopAppBar(title = { Text(stringResource(R.string.transfer_request_title)) }) }) { padding ->
        Column(Modifier.padding(padding).padding(24.dp), verticalArrangement = Arrangement.spacedBy(12.dp)) {
            when (val s = screen) {
                is RequestTransferScreen.Requested -> {
                    Text(s.row.message.text())
                    Button(onTransfers, Modifier.fillMaxWidth()) { Text(stringResource(R.string.transfers_title)) }
                }
                else -> {
                    Text(stringResource(R.string.transfer_request_steps))
                    OutlinedTextField(labelCode, { labelCode = it }, Modifier.fillMaxWidth(),
                        label = { Text(stringResource(R.string.add_device_label_code)) }, singleLine = true)
                    OutlinedTextField(qrText, { qrText = it }, Modifier.fillMaxWidth(),
                        label = { Text(stringResource(R.string.scan_type_text_label)) })
                    (s as? RequestTransferScreen.Failed)?.let { Text(it.message.text(), color = MaterialTheme.colorScheme.error) }
                    val idle = s !is RequestTransferScreen.Sending
                    OutlinedButton(
                        { pickPhoto.launch(PickVisualMediaRequest(ActivityResultContracts.PickVisualMedia.ImageOnly)) },
                        Modifier.fillMaxWidth(), enabled = idle,
                    ) { Text(stringResource(R.string.scan_pick_photo)) }
                    Button({ model.request(qrText, labelCode) }, Modifier.fillMaxWidth(), enabled = idle && qrText.isNotBlank()) {
                        Text(stringResource(R.string.transfer_request_button))
                    }
                }
            }
        }
    }
}
