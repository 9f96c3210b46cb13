package org.hc.app.ui

import android.util.Size
import androidx.camera.core.Camera
import androidx.camera.core.CameraSelector
import androidx.camera.core.FocusMeteringAction
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.ImageProxy
import androidx.camera.core.Preview
import androidx.camera.core.resolutionselector.ResolutionSelector
import androidx.camera.core.resolutionselector.ResolutionStrategy
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.camera.view.PreviewView
import androidx.compose.foundation.Canvas
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.runtime.Composable
import androidx.compose.runtime.DisposableEffect
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.geometry.CornerRadius
import androidx.compose.ui.geometry.Offset
import androidx.compose.ui.geometry.Size as BoxSize
import androidx.compose.ui.graphics.BlendMode
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.CompositingStrategy
import androidx.compose.ui.graphics.drawscope.Stroke
import androidx.compose.ui.graphics.graphicsLayer
import androidx.compose.ui.platform.LocalContext
import androidx.compose.ui.unit.dp
import androidx.compose.ui.viewinterop.AndroidView
import androidx.core.content.ContextCompat
import androidx.lifecycle.compose.LocalLifecycleOwner
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import org.hc.core.FocusPoint
import org.hc.core.Frame
import org.hc.core.FrameFormat

/**
 * CameraX preview plus an analyzer that hands the luma plane to the core. Keep-only-latest: a slow
 * phone drops frames here, and the core drops all but the newest one it has not decoded yet.
 * The zoom and the focus point come from the screen model (pinch and tap on the viewfinder); this
 * only hands them to the camera: [onZoomRange] once the camera is open, [onFocused] when it has
 * focused for a tap.
 */
@Composable
fun CameraPreview(
    onFrame: (Frame) -> Unit,
    wantsFrames: () -> Boolean,
    torch: Boolean,
    zoom: Float?,
    focus: FocusPoint?,
    onZoomRange: (min: Float, max: Float) -> Unit,
    onFocused: (tap: UInt) -> Unit,
) {
    val context = LocalContext.current
    val lifecycleOwner = LocalLifecycleOwner.current
    val previewView = remember { PreviewView(context).apply { scaleType = PreviewView.ScaleType.FILL_CENTER } }
    var camera by remember { mutableStateOf<Camera?>(null) }

    DisposableEffect(lifecycleOwner) {
        val executor = Executors.newSingleThreadExecutor()
        val providerFuture = ProcessCameraProvider.getInstance(context)
        providerFuture.addListener({
            val provider = providerFuture.get()
            val preview = Preview.Builder().build().also { it.setSurfaceProvider(previewView.surfaceProvider) }
            val analysis = ImageAnalysis.Builder()
                // 1280x720 is plenty for a QR code on a monitor and cheap to copy.
                .setResolutionSelector(
                    ResolutionSelector.Builder()
                        .setResolutionStrategy(
                            ResolutionStrategy(Size(1280, 720), ResolutionStrategy.FALLBACK_RULE_CLOSEST_HIGHER_THEN_LOWER),
                        )
                        .build(),
                )
                .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
                .setOutputImageFormat(ImageAnalysis.OUTPUT_IMAGE_FORMAT_YUV_420_888)
                .build()
            analysis.setAnalyzer(executor) { image -> image.use { if (wantsFrames()) onFrame(image.lumaFrame()) } }
            provider.unbindAll()
            camera = provider.bindToLifecycle(lifecycleOwner, CameraSelector.DEFAULT_BACK_CAMERA, preview, analysis)
                .also { bound ->
                    val range = bound.cameraInfo.zoomState.value
                    onZoomRange(range?.minZoomRatio ?: 1f, range?.maxZoomRatio ?: 1f)
                }
        }, ContextCompat.getMainExecutor(context))
        onDispose {
            runCatching { providerFuture.get().unbindAll() }
            executor.shutdown()
        }
    }
    LaunchedEffect(camera, torch) {
        camera?.takeIf { it.cameraInfo.hasFlashUnit() }?.cameraControl?.enableTorch(torch)
    }
    LaunchedEffect(camera, zoom) {
        if (zoom != null) camera?.cameraControl?.setZoomRatio(zoom)
    }
    // One focus and exposure run per tap, at the tapped point of the preview (the factory maps the
    // view's crop to the sensor); back to continuous autofocus after a few seconds.
    LaunchedEffect(camera, focus?.tap) {
        val cam = camera ?: return@LaunchedEffect
        val at = focus ?: return@LaunchedEffect
        val point = previewView.meteringPointFactory.createPoint(at.x * previewView.width, at.y * previewView.height)
        val action = FocusMeteringAction.Builder(point, FocusMeteringAction.FLAG_AF or FocusMeteringAction.FLAG_AE)
            .setAutoCancelDuration(5, TimeUnit.SECONDS)
            .build()
        cam.cameraControl.startFocusAndMetering(action)
            .addListener({ onFocused(at.tap) }, ContextCompat.getMainExecutor(context))
    }
    AndroidView({ previewView }, Modifier.fillMaxSize())
}

/** Plane 0 (Y) of a YUV_420_888 image, with its row stride and the rotation to upright. */
private fun ImageProxy.lumaFrame(): Frame {
    val plane = planes[0]
    val buffer = plane.buffer.duplicate().apply { rewind() }
    val bytes = ByteArray(buffer.remaining()).also { buffer.get(it) }
    return Frame(
        width = width.toUInt(),
        height = height.toUInt(),
        rowStride = plane.rowStride.toUInt(),
        format = FrameFormat.LUMA8,
        bytes = bytes,
        rotationDegrees = imageInfo.rotationDegrees.toUInt(),
    )
}

/** The box to put the QR code in, the rest of the preview dimmed; the ring where the user tapped to focus. */
@Composable
fun Viewfinder(modifier: Modifier, focus: FocusPoint?) {
    Canvas(modifier.graphicsLayer(compositingStrategy = CompositingStrategy.Offscreen)) {
        val side = minOf(size.width, size.height) * 0.7f
        val topLeft = Offset((size.width - side) / 2, (size.height - side) / 2)
        val radius = CornerRadius(24f, 24f)
        drawRect(Color.Black.copy(alpha = 0.5f))
        drawRoundRect(Color.Transparent, topLeft, BoxSize(side, side), radius, blendMode = BlendMode.Clear)
        drawRoundRect(Color.White, topLeft, BoxSize(side, side), radius, style = Stroke(width = 6f))
        if (focus != null) {
            val center = Offset(focus.x * size.width, focus.y * size.height)
            drawCircle(Color.White, radius = 36.dp.toPx(), center = center, style = Stroke(width = 2.dp.toPx()))
        }
    }
}
