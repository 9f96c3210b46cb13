package org.hc.presentation

import java.io.File
import javax.xml.parsers.DocumentBuilderFactory
import kotlin.test.assertEquals
import kotlin.test.assertTrue
import org.hc.core.HcException
import org.junit.jupiter.api.Test

/** Every core error has a message, and every message has words in English and Chinese. */
class MessagesTest {
    /** One of each HcException variant (the `when` in toUiMessage is exhaustive at compile time). */
    private val everyError: List<Pair<HcException, UiMessage>> = listOf(
        HcException.NotAResetQr() to UiMessage(MessageId.ERROR_NOT_A_RESET_QR),
        HcException.InvalidQr() to UiMessage(MessageId.ERROR_INVALID_QR),
        HcException.DeviceNotAdded("DS0000001") to UiMessage(MessageId.ERROR_DEVICE_NOT_ADDED, "DS0000001"),
        HcException.DeviceAddedByOthers("DS0000002") to UiMessage(MessageId.ERROR_DEVICE_ADDED_BY_OTHERS, "DS0000002"),
        HcException.NotLoggedIn() to UiMessage(MessageId.ERROR_NOT_LOGGED_IN),
        HcException.SessionExpired() to UiMessage(MessageId.ERROR_SESSION_EXPIRED),
        HcException.RateLimited(90uL) to UiMessage(MessageId.ERROR_RATE_LIMITED, "90"),
        HcException.Network("could not connect") to UiMessage(MessageId.ERROR_NETWORK),
        HcException.Server(503u, "unavailable", "down") to UiMessage(MessageId.ERROR_SERVER, "503"),
        HcException.Server(401u, "invalid_credentials", "x") to UiMessage(MessageId.ERROR_INVALID_CREDENTIALS),
        HcException.Server(409u, "email_taken", "x") to UiMessage(MessageId.ERROR_EMAIL_TAKEN),
        HcException.Server(400u, "weak_password", "x") to UiMessage(MessageId.ERROR_WEAK_PASSWORD),
        HcException.Server(400u, "invalid_email", "x") to UiMessage(MessageId.ERROR_INVALID_EMAIL),
        HcException.Server(400u, "invalid_serial", "x") to UiMessage(MessageId.ERROR_INVALID_SERIAL),
        HcException.Server(403u, "wrong_label_code", "x") to UiMessage(MessageId.ERROR_WRONG_LABEL_CODE),
        HcException.Server(409u, "already_added", "x") to UiMessage(MessageId.ERROR_ALREADY_ADDED),
        HcException.Storage("keystore locked") to UiMessage(MessageId.ERROR_STORAGE),
        HcException.InvalidFrame("short buffer") to UiMessage(MessageId.ERROR_INVALID_FRAME),
    )

    @Test
    fun `every core error maps to its message and never shows the detail`() {
        for ((error, expected) in everyError) {
            val message = error.toUiMessage()
            assertEquals(expected, message, "$error")
            assertTrue(message.args.none { it.contains("down") || it.contains("locked") || it.contains("connect") })
        }
        val variants = everyError.map { it.first::class }.toSet()
        assertEquals(11, variants.size, "one case per HcError variant")
    }

    @Test
    fun `each error offers the action the user can take`() {
        assertEquals(FailureAction.ADD_DEVICE, HcException.DeviceNotAdded("X").failureAction())
        assertEquals(FailureAction.SCAN_AGAIN, HcException.DeviceAddedByOthers("X").failureAction())
        assertEquals(FailureAction.LOG_IN, HcException.SessionExpired().failureAction())
        assertEquals(FailureAction.RETRY, HcException.Network("x").failureAction())
        assertEquals(FailureAction.SCAN_AGAIN, HcException.NotAResetQr().failureAction())
    }

    private fun resDir(): File = File(System.getProperty("hc.android.res") ?: "android/app/src/main/res")

    /** name -> text of every <string> in a strings.xml. */
    private fun strings(file: File): Map<String, String> {
        assertTrue(file.isFile, "missing $file")
        val doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file)
        val nodes = doc.getElementsByTagName("string")
        return (0 until nodes.length).associate { i ->
            val e = nodes.item(i) as org.w3c.dom.Element
            e.getAttribute("name") to e.textContent
        }
    }

    private fun placeholders(text: String): Set<Int> =
        Regex("%(\\d+)\\\$s").findAll(text).map { it.groupValues[1].toInt() }.toSet()

    @Test
    fun `every message id has English and Chinese strings with its arguments`() {
        for (dir in listOf("values", "values-zh-rCN")) {
            val strings = strings(File(resDir(), "$dir/strings.xml"))
            for (id in MessageId.entries) {
                val text = strings[id.key]
                assertTrue(!text.isNullOrBlank(), "$dir/strings.xml has no ${id.key}")
                assertEquals((1..id.argCount).toSet(), placeholders(text), "$dir/${id.key}: placeholders of \"$text\"")
            }
        }
    }

    @Test
    fun `the Chinese strings cover every English string`() {
        val en = strings(File(resDir(), "values/strings.xml"))
        val zh = strings(File(resDir(), "values-zh-rCN/strings.xml"))
        val untranslatable = setOf("app_name")
        assertEquals(en.keys - untranslatable, zh.keys - untranslatable)
        for ((key, text) in en - untranslatable) assertEquals(placeholders(text), placeholders(zh.getValue(key)), key)
    }
}
