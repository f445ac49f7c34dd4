"""Notices: messages giliran sends to people on a chat channel (Telegram, WhatsApp), and their
words.

A notice is written to the outbox in a transaction (with the event or command that caused it)
and sent afterwards with retries, like a webhook delivery. Its `key` is unique, so the event or
command that causes it can be handled twice without telling anyone twice.

Every text a person reads ships in English and Indonesian.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from giliran.domain.attachments import Attachment
from giliran.domain.conversation import TELEGRAM as TELEGRAM
from giliran.domain.delivery import Attempts

Buttons = tuple[tuple[str, str], ...]  # (label, callback data), shown in one row
LARGEST_ID = 2**31 - 1  # ids are 32-bit integers in storage


@dataclass
class Notice(Attempts):
    id: int
    channel: str
    chat_id: str
    text: str
    key: str  # unique: the same notice is never queued twice
    buttons: Buttons = ()
    created_at: datetime | None = field(default=None, compare=False)
    message_id: int | None = None  # the conversation message it carries to a customer
    ticket_id: int | None = None  # the ticket it is about: an agent may answer it by replying
    via: str | None = None  # the business number it leaves from (WhatsApp)
    template: str | None = None  # "name:language": an approved WhatsApp template, not text
    sent_id: str | None = None  # the channel's id for it, once the channel took it
    media: Attachment | None = None  # a file it carries (`text` is then its caption)


def language(code: str | None) -> str:
    """Indonesian for people whose Telegram speaks it (`id`, or the old `in`), else English."""
    return "id" if code and code.lower().split("-")[0] in ("id", "in") else "en"


_EN: Mapping[str, str] = {
    "assigned": ("🎫 New ticket added to your queue!\nTicket: {number}\nTitle: {title}\n"
                 "Category: {category}\nQueue position: #{position}\n"
                 "You have {active}/{max} active tickets."),
    "assigned_gone": ("🎫 Ticket {number} was assigned to you ({title}); it has already moved "
                      "on.\nYou have {active}/{max} active tickets."),
    "accept": "✅ Accept",
    "complete": "🏁 Complete",
    "taken_back": ("⏰ Ticket {number} was taken back because it was not accepted in time; "
                   "it goes to the next agent."),
    "queue_open": "🔔 {queue} is open again: go online to receive its tickets.",
    "taken_back_unanswered": ("⏰ Ticket {number} was taken back because the customer got no "
                              "reply in time; it goes to the next agent."),
    "moved_away": "↪️ Ticket {number} was moved out of your queue by a supervisor.",
    "left_offline": "↩️ Ticket {number} went back to the queue because you went offline.",
    "left_cancelled": "❌ Ticket {number} was cancelled by a supervisor; it left your queue.",
    "left_completed": ("🏁 Ticket {number} was completed by a supervisor; it left your "
                       "queue."),
    "customer_opened": ("✅ Thank you! Your ticket {number} is open. An agent will reply "
                        "here soon."),
    "customer_closed": ("🏁 Your ticket {number} has been resolved. Write again any time to "
                        "open a new one."),
    "customer_welcome": "👋 Hello! Write your question and we will open a ticket for you.",
    "online": ("🟢 You are online. New tickets arrive automatically "
               "({active}/{max} active)."),
    "offline": "⚪ You are offline. You will not receive new tickets.",
    "queue_empty": "📋 Your queue is empty ({active}/{max}).",
    "queue_head": "📋 Your queue ({active}/{max}):",
    "queue_line": "#{position} {number} · {title} · {status}",
    "assigned_status": "Pending",
    "in_progress_status": "In progress",
    "on_hold_status": "On hold",
    "status": ("Status: {presence}\nActive tickets: {active}/{max}\n"
               "Automatic assignment: {auto}\nWaiting in your queues: {waiting}"),
    "on": "on",
    "off": "off",
    "online_word": "online",
    "away_word": "away",
    "offline_word": "offline",
    "linked": ("🔗 This chat is now linked to agent {name}.\n"
               "Commands: /online /offline /myqueue /status\n"
               "Answer a customer: reply to their message, or /reply INC… your text"),
    "bad_code": ("That code is not valid or has expired. Ask for a new one in the dashboard "
                 "or from your supervisor."),
    "agent_help": ("Commands: /online /offline /myqueue /status\n"
                   "Answer a customer: reply to their message, or /reply INC… your text"),
    "reply_hint": "↩️ Reply to this message to answer the customer.",
    "customer_wrote": "💬 {number} · {sender}:\n{text}",
    "relayed": "✉️ Sent to the customer of {number}.",
    "relay_window": ("⌛ Not sent: the customer last wrote more than 24 hours ago, and WhatsApp "
                     "then takes only an approved template. Send it from the dashboard."),
    "relay_unknown": "That ticket is not in your queue, so nothing was sent.",
    "relay_blocked": ("⛔ Not sent: the customer has blocked the bot. They can be answered "
                      "again once they write."),
    "accepted": "✅ Accepted {number}",
    "completed": "🏁 Completed {number}",
    "not_linked": "This Telegram account is not linked to an agent.",
    "revoked": "This ticket was taken back from you.",
    "not_possible": "Not possible now ({code}).",
    "transferred_by": "↪️ Transferred to you by {name}: {reason}",
    "reply_failed": "⚠️ Your reply to {customer} on {number} failed: {reason}",
    "sla_warning": ("⏳ SLA warning: {number} ({title}) in {queue} is due for {target} at "
                    "{due}."),
    "sla_breached": ("🚨 SLA breached: {number} ({title}) in {queue} missed its {target} "
                     "target (due {due})."),
    "sla_holder": "Held by {holder}.",
    "sla_nobody": "Nobody holds it.",
    "target_first_response": "first response",
    "target_next_response": "next response",
    "target_resolution": "resolution",
    "linked_supervisor": ("🔗 This chat is now linked to {name}: SLA warnings and breaches "
                          "of your queues will come here."),
}

_ID: Mapping[str, str] = {
    "assigned": ("🎫 Tiket baru masuk ke antrean Anda!\nTiket: {number}\nJudul: {title}\n"
                 "Kategori: {category}\nPosisi antrean: #{position}\n"
                 "Anda memegang {active}/{max} tiket aktif."),
    "assigned_gone": ("🎫 Tiket {number} sempat diberikan kepada Anda ({title}); tiket itu "
                      "sudah berpindah.\nAnda memegang {active}/{max} tiket aktif."),
    "accept": "✅ Terima",
    "complete": "🏁 Selesai",
    "taken_back": ("⏰ Tiket {number} ditarik kembali karena tidak diterima tepat waktu; "
                   "tiket diteruskan ke agen berikutnya."),
    "queue_open": "🔔 {queue} sudah buka lagi: online-lah untuk menerima tiketnya.",
    "taken_back_unanswered": ("⏰ Tiket {number} ditarik kembali karena pelanggan tidak "
                              "dibalas tepat waktu; tiket diteruskan ke agen berikutnya."),
    "moved_away": "↪️ Tiket {number} dipindahkan dari antrean Anda oleh supervisor.",
    "left_offline": "↩️ Tiket {number} kembali ke antrean karena Anda offline.",
    "left_cancelled": ("❌ Tiket {number} dibatalkan oleh supervisor; tiket itu keluar dari "
                       "antrean Anda."),
    "left_completed": ("🏁 Tiket {number} diselesaikan oleh supervisor; tiket itu keluar dari "
                       "antrean Anda."),
    "customer_opened": ("✅ Terima kasih! Tiket Anda {number} sudah dibuat. Agen kami akan "
                        "segera membalas di sini."),
    "customer_closed": ("🏁 Tiket Anda {number} telah diselesaikan. Silakan tulis lagi kapan "
                        "saja untuk membuka tiket baru."),
    "customer_welcome": "👋 Halo! Tulis pertanyaan Anda dan kami akan membuatkan tiket.",
    "online": ("🟢 Anda online. Tiket baru akan masuk otomatis "
               "({active}/{max} aktif)."),
    "offline": "⚪ Anda offline. Anda tidak akan menerima tiket baru.",
    "queue_empty": "📋 Antrean Anda kosong ({active}/{max}).",
    "queue_head": "📋 Antrean Anda ({active}/{max}):",
    "queue_line": "#{position} {number} · {title} · {status}",
    "assigned_status": "Menunggu",
    "in_progress_status": "Sedang dikerjakan",
    "on_hold_status": "Ditunda",
    "status": ("Status: {presence}\nTiket aktif: {active}/{max}\n"
               "Penugasan otomatis: {auto}\nMenunggu di antrean Anda: {waiting}"),
    "on": "aktif",
    "off": "nonaktif",
    "online_word": "online",
    "away_word": "sedang pergi",
    "offline_word": "offline",
    "linked": ("🔗 Chat ini sekarang terhubung ke agen {name}.\n"
               "Perintah: /online /offline /myqueue /status\n"
               "Membalas pelanggan: balas pesannya, atau /reply INC… teks Anda"),
    "bad_code": ("Kode tidak valid atau sudah kedaluwarsa. Minta kode baru di dasbor atau "
                 "kepada supervisor Anda."),
    "agent_help": ("Perintah: /online /offline /myqueue /status\n"
                   "Membalas pelanggan: balas pesannya, atau /reply INC… teks Anda"),
    "reply_hint": "↩️ Balas pesan ini untuk menjawab pelanggan.",
    "customer_wrote": "💬 {number} · {sender}:\n{text}",
    "relayed": "✉️ Terkirim ke pelanggan {number}.",
    "relay_window": ("⌛ Tidak terkirim: pelanggan terakhir menulis lebih dari 24 jam yang lalu, "
                     "dan WhatsApp hanya menerima templat yang disetujui. Kirim dari dasbor."),
    "relay_unknown": "Tiket itu tidak ada di antrean Anda, jadi tidak ada yang dikirim.",
    "relay_blocked": ("⛔ Tidak terkirim: pelanggan telah memblokir bot. Pelanggan bisa dibalas "
                      "lagi setelah mereka menulis."),
    "accepted": "✅ {number} diterima",
    "completed": "🏁 {number} selesai",
    "not_linked": "Akun Telegram ini belum terhubung ke agen.",
    "revoked": "Tiket ini sudah ditarik dari Anda.",
    "not_possible": "Tidak bisa dilakukan sekarang ({code}).",
    "transferred_by": "↪️ Dialihkan kepada Anda oleh {name}: {reason}",
    "reply_failed": "⚠️ Balasan Anda kepada {customer} di {number} gagal terkirim: {reason}",
    "sla_warning": ("⏳ Peringatan SLA: {number} ({title}) di {queue} harus mendapat "
                    "{target} paling lambat {due}."),
    "sla_breached": ("🚨 SLA terlampaui: {number} ({title}) di {queue} melewati target "
                     "{target} (batas {due})."),
    "sla_holder": "Dipegang oleh {holder}.",
    "sla_nobody": "Belum dipegang siapa pun.",
    "target_first_response": "respons pertama",
    "target_next_response": "respons berikutnya",
    "target_resolution": "penyelesaian",
    "linked_supervisor": ("🔗 Chat ini sekarang terhubung ke {name}: peringatan dan pelanggaran "
                          "SLA di antrean Anda akan dikirim ke sini."),
}

TEXTS: Mapping[str, Mapping[str, str]] = {"en": _EN, "id": _ID}


def say(lang: str, key: str, **values: object) -> str:
    return TEXTS.get(lang, _EN)[key].format(**values)


def ticket_buttons(lang: str, ticket_id: int) -> Buttons:
    """Accept and Complete act through the same rules as the API."""
    return ((say(lang, "accept"), f"accept:{ticket_id}"),
            (say(lang, "complete"), f"complete:{ticket_id}"))


def parse_button(data: str) -> tuple[str, int] | None:
    """What a pressed button asks for, or None for data that isn't ours."""
    action, _, ticket = data.partition(":")
    if action in ("accept", "complete") and ticket.isascii() and ticket.isdigit():
        number = int(ticket)
        return (action, number) if number <= LARGEST_ID else None
    return None


@dataclass(frozen=True)
class ChatLink:
    """An agent's own chat on a channel, where its notices go and its commands come from."""

    agent_id: int
    chat_id: str
    language: str = "en"
