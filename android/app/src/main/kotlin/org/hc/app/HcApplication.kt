package org.hc.app

import android.app.Application
import android.util.Log
import org.hc.core.ClientConfig
import org.hc.core.HcClient
import org.hc.core.LogLevel
import org.hc.core.Logger
import org.hc.core.init

/** Starts the core once per process and holds the one [HcClient] every screen shares. */
class HcApplication : Application() {
    lateinit var client: HcClient
        private set

    override fun onCreate() {
        super.onCreate()
        init(LogcatLogger)
        client = HcClient(
            // The core's default timeouts.
            ClientConfig(cloudUrl = BuildConfig.CLOUD_URL),
            KeystoreSecureStore(this),
        )
    }
}

/** The core's log lines in Logcat (they never carry tokens, passwords or label codes). */
object LogcatLogger : Logger {
    override fun log(level: LogLevel, target: String, message: String) {
        val tag = target.take(23) // Logcat's tag limit on older releases
        when (level) {
            LogLevel.ERROR -> Log.e(tag, message)
            LogLevel.WARN -> Log.w(tag, message)
            LogLevel.INFO -> Log.i(tag, message)
            LogLevel.DEBUG -> Log.d(tag, message)
            LogLevel.TRACE -> Log.v(tag, message)
        }
    }
}
