@file:OptIn(ExperimentalMaterial3Api::class) // TopAppBar, FilterChip

package org.hc.app.ui

import android.Manifest
import android.content.ClipData
import android.content.pm.PackageManager
import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.PickVisualMediaRequest
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.gestures.detectTapGestures
import androidx.compose.foundation.gestures.detectTransformGestures
import androidx.compose.foundation.layout.Arrangement
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.text.KeyboardOptions
import androidx.compose.material3.AlertDialog
import androidx.compose.material3.Button
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.material3.ExperimentalMaterial3Api
import androidx.compose.material3.FilterChip
import androidx.compose.material3.LocalTextStyle
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Scaffold
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.material3.TopAppBar
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.input.pointer.pointerInput
import androidx.compose.ui.platform.ClipEntry
import androidx.compose.ui.platform.LocalClipboard
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.platform.LocalView
import androidx.compose.ui.res.stringResource
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import androidx.compose.ui.text.font.FontFamily
import androidx.compose.ui.text.font.FontWeight
import androidx.compose.ui.text.input.KeyboardCapitalization
import androidx.compose.ui.text.input.KeyboardType
import androidx.compose.ui.text.style.TextAlign
import androidx.compose.ui.unit.dp
import androidx.compose.ui.unit.sp
import androidx.core.content.ContextCompat
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import org.hc.app.R
import org.hc.app.text
import org.hc.core.CodeScreen
import org.hc.core.ErrorAction
import org.hc.core.ResetScreen as Screen
import org.hc.presentation.ResetPasswordModel
import org.hc.presentation.hint
import org.hc.presentation.transferSerial

/** More > Reset Device Password: scanner, then the code (or a failure with what to do next). */
@Composable
fun ResetPasswordScreen(
    model: ResetPasswordModel,
    onAddDevice: () -> Unit,
    onAskForDevice: (String) -> Unit,
    onLogIn: () -> Unit,
    onVerifyEmail: () -> Unit,
    onDone: () -> Unit,
) {
    val screen by model.screen.collectAsStateWithLifecycle()
    val keepScreenOn by model.keepScreenOn.collectAsStateWithLifecycle()
    KeepScreenOn(keepScreenOn)
    Scaffold(topBar = { TopAppBar(title = { Text(stringResource(R.string.reset_password_title)) }) }) { padding ->
        Box(Modifier.padding(padding).fillMaxSize()) {
            when (val s = screen) {
                is Screen.Scanning -> Scanner(model, s)
                is Screen.Working -> Working(s)
                is Screen.Code -> CodeView(s.code, onScanAgain = model::scanAgain, onDone = onDone)
                is Screen.Failed -> Failure(s, model, onAddDevice, onAskForDevice, onLogIn, onVerifyEmail)
            }
        }
    }
}

@Composable
private fun Scanner(model: ResetPasswordModel, screen: Screen.Scanning) {
    val context = LocalContext.current
    val scope = rememberCoroutineScope()
    var hasCamera by remember {
        mutableStateOf(ContextCompat.checkSelfPermission(context, Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED)
    }
    val askCamera = rememberLauncherForActivityResult(ActivityResultContracts.RequestPermission()) { hasCamera = it }
    // Ask once when the scanner opens; after a refusal the screen offers the button and the photo picker.
    var askedCamera by rememberSaveable { mutableStateOf(false) }
    LaunchedEffect(Unit) {
        if (!hasCamera && !askedCamera) {
            askedCamera = true
            askCamera.launch(Manifest.permission.CAMERA)
        }
    }
    // "Pick a photo": a screenshot or a photo of the device screen; one image is one attempt.
    val pickPhoto = rememberLauncherForActivityResult(ActivityResultContracts.PickVisualMedia()) { uri ->
        if (uri != null) scope.launch {
            val bytes = withContext(Dispatchers.IO) {
                context.contentResolver.openInputStream(uri)?.use { it.readBytes() }
            }
            if (bytes != null) model.submitImage(bytes)
        }
    }
    var torch by rememberSaveable { mutableStateOf(false) }
    var typing by rememberSaveable { mutableStateOf(false) }
    if (typing) TypeQrTextDialog(onDismiss = { typing = false }, onSubmit = { typing = false; model.submitText(it) })
    val viewfinder by model.viewfinder.collectAsStateWithLifecycle()

    Column(Modifier.fillMaxSize()) {
        Box(Modifier.weight(1f).fillMaxWidth()) {
            if (hasCamera) {
                CameraPreview(
                    onFrame = model::submitFrame, wantsFrames = { model.wantsFrames }, torch = torch,
                    zoom = viewfinder?.zoom, focus = viewfinder?.focus,
                    onZoomRange = model::cameraOpened, onFocused = model::focused,
                )
                // The gestures go to the model, which keeps the zoom within the camera's range.
                Viewfinder(
                    Modifier.fillMaxSize()
                        .pointerInput(Unit) { detectTransformGestures { _, _, zoomChange, _ -> model.pinched(zoomChange) } }
                        .pointerInput(Unit) {
                            detectTapGestures { at -> model.tapped(at.x / size.width, at.y / size.height) }
                        },
                    focus = viewfinder?.focus,
                )
                Text(
                    stringResource(R.string.scan_focus_hint), Modifier.align(Alignment.BottomCenter).padding(8.dp),
                    color = Color.White, style = MaterialTheme.typography.labelSmall,
                )
            } else {
                Column(Modifier.align(Alignment.Center).padding(24.dp), horizontalAlignment = Alignment.CenterHorizontally) {
                    Text(stringResource(R.string.scan_camera_permission), textAlign = TextAlign.Center)
                    Button({ askCamera.launch(Manifest.permission.CAMERA) }) { Text(stringResource(R.string.scan_allow_camera)) }
                }
            }
        }
        Column(Modifier.padding(16.dp), verticalArrangement = Arrangement.spacedBy(8.dp)) {
            Text(screen.hint.text(), style = MaterialTheme.typography.bodyLarge)
            Text(stringResource(R.string.reset_password_steps), style = MaterialTheme.typography.bodySmall)
            Row(horizontalArrangement = Arrangement.spacedBy(8.dp)) {
                if (hasCamera) FilterChip(torch, { torch = !torch }, label = { Text(stringResource(R.string.scan_torch)) })
                OutlinedButton({
                    pickPhoto.launch(PickVisualMediaRequest(ActivityResultContracts.PickVisualMedia.ImageOnly))
                }) { Text(stringResource(R.string.scan_pick_photo)) }
            }
            // No camera, a damaged screen, a code too far away: the device's page shows the text too.
            TextButton({ typing = true }) { Text(stringResource(R.string.scan_type_text)) }
        }
    }
}

/** The QR code's text typed by hand or pasted: the core reads it in groups, lower case, with line breaks. */
@Composable
private fun TypeQrTextDialog(onDismiss: () -> Unit, onSubmit: (String) -> Unit) {
    var text by rememberSaveable { mutableStateOf("") }
    AlertDialog(
        onDismissRequest = onDismiss,
        title = { Text(stringResource(R.string.scan_type_text)) },
        text = {
            OutlinedTextField(
                text, { text = it }, Modifier.fillMaxWidth(),
                label = { Text(stringResource(R.string.scan_type_text_label)) },
                textStyle = LocalTextStyle.current.copy(fontFamily = FontFamily.Monospace),
                minLines = 3,
                keyboardOptions = KeyboardOptions(
                    capitalization = KeyboardCapitalization.Characters,
                    autoCorrectEnabled = false,
                    keyboardType = KeyboardType.Ascii,
                ),
            )
        },
        confirmButton = {
            TextButton({ onSubmit(text) }, enabled = text.isNotBlank()) { Text(stringResource(R.string.scan_type_text_submit)) }
        },
        dismissButton = { TextButton(onDismiss) { Text(stringResource(R.string.action_cancel)) } },
    )
}

/** The display stays awake while [on] (the model decides: the scanner, the wait, a valid code). */
@Composable
private fun KeepScreenOn(on: Boolean) {
    val view = LocalView.current
    DisposableEffect(view, on) {
        view.keepScreenOn = on
        onDispose { view.keepScreenOn = false }
    }
}

@Composable
private fun Working(screen: Screen.Working) {
    Column(Modifier.fillMaxSize().padding(24.dp), Arrangement.Center, Alignment.CenterHorizontally) {
        CircularProgressIndicator()
        Text(screen.status.text(), Modifier.padding(top = 16.dp), textAlign = TextAlign.Center)
    }
}

@Composable
private fun CodeView(screen: CodeScreen, onScanAgain: () -> Unit, onDone: () -> Unit) {
    val clipboard = LocalClipboard.current
    val scope = rememberCoroutineScope()
    val copied = stringResource(R.string.code_copied)
    var justCopied by remember { mutableStateOf(false) }
    Column(Modifier.fillMaxSize().padding(24.dp), Arrangement.spacedBy(16.dp), Alignment.CenterHorizontally) {
        Text("${screen.model} · ${screen.serial}", style = MaterialTheme.typography.titleMedium)
        Text(screen.instructions.text(), textAlign = TextAlign.Center)
        Text(
            screen.groupedCode,
            // Read digit by digit by screen readers.
            Modifier.semantics { contentDescription = screen.code.toList().joinToString(" ") },
            fontFamily = FontFamily.Monospace, fontWeight = FontWeight.Bold, fontSize = 48.sp, letterSpacing = 4.sp,
            color = if (screen.expired) MaterialTheme.colorScheme.outline else MaterialTheme.colorScheme.onSurface,
        )
        Text(
            screen.countdown.text(),
            color = if (screen.expired) MaterialTheme.colorScheme.error else MaterialTheme.colorScheme.onSurfaceVariant,
        )
        if (!screen.expired) {
            OutlinedButton({
                scope.launch { clipboard.setClipEntry(ClipEntry(ClipData.newPlainText("code", screen.code))) }
                justCopied = true
            }) {
                Text(if (justCopied) copied else stringResource(R.string.code_copy))
            }
        }
        Button(onDone, Modifier.fillMaxWidth()) { Text(stringResource(R.string.action_done)) }
        OutlinedButton(onScanAgain, Modifier.fillMaxWidth()) { Text(stringResource(R.string.action_scan_again)) }
    }
}

@Composable
private fun Failure(
    screen: Screen.Failed,
    model: ResetPasswordModel,
    onAddDevice: () -> Unit,
    onAskForDevice: (String) -> Unit,
    onLogIn: () -> Unit,
    onVerifyEmail: () -> Unit,
) {
    Column(Modifier.fillMaxSize().padding(24.dp), Arrangement.spacedBy(16.dp, Alignment.CenterVertically), Alignment.CenterHorizontally) {
        Text(screen.message.text(), textAlign = TextAlign.Center, style = MaterialTheme.typography.bodyLarge)
        // The core's second line: after "added by another account", ask for the device instead.
        screen.hint?.let { Text(it.text(), textAlign = TextAlign.Center) }
        screen.transferSerial?.let { serial -> Button({ onAskForDevice(serial) }) { Text(stringResource(R.string.transfer_ask)) } }
        when (screen.action) {
            is ErrorAction.Retry, is ErrorAction.WaitThenRetry ->
                Button(model::retry) { Text(stringResource(R.string.action_retry)) }
            is ErrorAction.AddDevice -> Button(onAddDevice) { Text(stringResource(R.string.action_add_device)) }
            is ErrorAction.LogIn -> Button(onLogIn) { Text(stringResource(R.string.action_log_in)) }
            // The account's address is not verified yet: the mailed code first.
            is ErrorAction.VerifyEmail -> Button(onVerifyEmail) { Text(stringResource(R.string.action_verify_email)) }
            is ErrorAction.ScanAgain, is ErrorAction.ContactOwner, is ErrorAction.CorrectInput, is ErrorAction.RequestNewCode -> {}
        }
        OutlinedButton(model::scanAgain) { Text(stringResource(R.string.action_scan_again)) }
    }
}
