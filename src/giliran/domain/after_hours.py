"""What a customer writing to a closed queue is told: that it is closed, and when it opens
next, as local time in the schedule's timezone, in English or Indonesian."""

from __future__ import annotations

from datetime import datetime

from giliran.domain.hours import Schedule, zone

_DAYS = {"en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
         "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")}
_MONTHS = {"en": ("January", "February", "March", "April", "May", "June", "July", "August",
                  "September", "October", "November", "December"),
           "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
                  "September", "Oktober", "November", "Desember")}
_TEXTS = {
    "en": ("🌙 We are closed right now. We open again on {when} ({zone}); your message is "
           "waiting and an agent will answer you then.",
           "🌙 We are closed right now; your message is waiting and an agent will answer you "
           "as soon as we open."),
    "id": ("🌙 Kami sedang tutup. Kami buka lagi pada {when} ({zone}); pesan Anda sudah kami "
           "terima dan agen kami akan membalasnya saat itu.",
           "🌙 Kami sedang tutup; pesan Anda sudah kami terima dan agen kami akan membalasnya "
           "begitu kami buka."),
}


def when(lang: str, at: datetime, schedule: Schedule) -> str:
    """'Tuesday 6 January 08:00' / 'Selasa 6 Januari 08:00', in the schedule's timezone."""
    lang = lang if lang in _DAYS else "en"
    local = at.astimezone(zone(schedule.timezone))
    return (f"{_DAYS[lang][local.weekday()]} {local.day} {_MONTHS[lang][local.month - 1]} "
            f"{local:%H:%M}")


def reply_text(lang: str, schedule: Schedule, opens: datetime | None) -> str:
    """The out-of-hours reply; `opens` None: the schedule has no opening ahead."""
    lang = lang if lang in _TEXTS else "en"
    with_time, without = _TEXTS[lang]
    if opens is None:
        return without
    return with_time.format(when=when(lang, opens, schedule), zone=schedule.timezone)
