package org.hc.presentation

import java.io.File
import javax.xml.parsers.DocumentBuilderFactory
import kotlin.test.assertEquals
import kotlin.test.assertTrue
import org.hc.core.ErrorAction
import org.hc.core.ErrorCode
import org.hc.core.HcException
import org.hc.core.MessageId
import org.hc.core.allMessageIds
import org.hc.core.errorAction
import org.hc.core.errorMessage
import org.hc.core.messageArgCount
import org.hc.core.messageKey
import org.junit.jupiter.api.Test

/** Every message id of the core has words in English and Chinese, with its arguments. */
class MessagesTest {
    @Test
    fun `errors arrive typed and the core says what to show and offer`() {
        val wrong = HcException.Server(401u, ErrorCode.INVALID_CREDENTIALS, "the server's words")
        assertEquals(msg(MessageId.ERROR_INVALID_CREDENTIALS), errorMessage(wrong))
        assertEquals(ErrorAction.CorrectInput, errorAction(wrong))
        assertEquals(msg(MessageId.ERROR_SERVER, "503"), errorMessage(HcException.Server(503u, ErrorCode.UNAVAILABLE, "down")))
        assertEquals(ErrorAction.WaitThenRetry(90uL), errorAction(HcException.RateLimited(90uL)))
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
            for (id in allMessageIds()) {
                val key = messageKey(id)
                val text = strings[key]
                assertTrue(!text.isNullOrBlank(), "$dir/strings.xml has no $key")
                assertEquals((1..messageArgCount(id).toInt()).toSet(), placeholders(text), "$dir/$key: placeholders of \"$text\"")
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
