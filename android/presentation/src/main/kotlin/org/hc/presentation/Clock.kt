package org.hc.presentation

/** The clock the screens read (seconds since the epoch); tests pass their own. */
fun interface Clock {
    fun nowUnix(): Long

    companion object {
        val System = Clock { java.lang.System.currentTimeMillis() / 1000 }
    }
}
