"""Arabic and English message catalogues, chosen by ``Accept-Language`` (Arabic by default)."""

from dataclasses import dataclass
from typing import Literal

Language = Literal["ar", "en"]
SUPPORTED: tuple[Language, ...] = ("ar", "en")
DEFAULT_LANGUAGE: Language = "ar"


@dataclass(frozen=True)
class Message:
    title_ar: str
    title_en: str
    detail_ar: str
    detail_en: str

    def title(self, language: Language) -> str:
        return self.title_en if language == "en" else self.title_ar

    def detail(self, language: Language, params: dict[str, object]) -> str:
        template = self.detail_en if language == "en" else self.detail_ar
        localized = {key: _localize(value, language) for key, value in params.items()}
        try:
            return template.format(**localized)
        except (KeyError, IndexError, ValueError):
            return template


# Short reason words carried by some errors (e.g. why a token was rejected), localised in details.
REASONS: dict[str, tuple[str, str]] = {
    "malformed": (
        "الرمز أو ترويسة Authorization غير سليمة",
        "the token or Authorization header is malformed",
    ),
    "algorithm_not_allowed": (
        "خوارزمية التوقيع غير مسموحة",
        "its signing algorithm is not allowed",
    ),
    "signature": ("التوقيع غير صحيح", "its signature does not verify"),
    "expired": ("انتهت صلاحيته", "it has expired"),
    "not_yet_valid": ("لم يبدأ سريانه بعد", "it is not valid yet"),
    "issuer": ("الجهة المصدرة غير مقبولة", "its issuer is not accepted"),
    "audience": ("الجمهور المقصود غير مطابق", "its audience does not match"),
    "missing_sub": ("لا يحمل معرّف المستخدم sub", "it carries no sub claim"),
    "claims": ("مطالباته غير صالحة", "its claims are invalid"),
    "unknown_key": ("مفتاح التوقيع غير معروف", "its signing key is unknown"),
    "database_unreachable": ("قاعدة البيانات لا تستجيب", "database unreachable"),
    "schema_behind": (
        "مخطط قاعدة البيانات ليس على آخر ترحيل",
        "database schema is not at the latest migration",
    ),
    "not_late_or_refused": (
        "الطلب لم يتأخر ولم يُرفض",
        "the request is neither overdue nor refused, partially answered or not held",
    ),
    "window_closed": ("انقضت مهلة التظلم", "the filing window has closed"),
    "appeal_already_open": ("يوجد تظلم مفتوح على هذا الطلب", "an appeal on this request is open"),
    "ground_mismatch": (
        "سبب التظلم لا يطابق حالة الطلب",
        "the ground does not match the request's state",
    ),
    "keys_unavailable": ("تعذّر جلب مفاتيح التحقق", "the verification keys could not be loaded"),
    # Why a poll answer does not fit its question (code invalid_answer).
    "answer_unknown_question": (
        "السؤال ليس من أسئلة هذا الاستطلاع",
        "the question is not in this poll",
    ),
    "answer_repeated_question": ("أُجيب عن السؤال أكثر من مرة", "the question is answered twice"),
    "answer_required_missing": ("لم تُجب عن سؤال إلزامي", "a required question has no answer"),
    "answer_wrong_kind": (
        "نوع الإجابة لا يناسب نوع السؤال",
        "the kind of answer does not fit the question",
    ),
    "answer_one_option": ("يُختار خيار واحد بالضبط", "choose exactly one option"),
    "answer_repeated_option": ("اختير الخيار نفسه أكثر من مرة", "an option is chosen twice"),
    "answer_unknown_option": (
        "الخيار ليس من خيارات السؤال",
        "an option is not one of the question's options",
    ),
}


def _localize(value: object, language: Language) -> object:
    if isinstance(value, str) and value in REASONS:
        arabic, english = REASONS[value]
        return english if language == "en" else arabic
    return value


# One entry per stable error code. Details may use {placeholders} filled from the error.
CATALOGUE: dict[str, Message] = {
    "validation_failed": Message(
        "البيانات المرسلة غير صالحة",
        "The submitted data is not valid",
        "صحّح الحقول المذكورة في errors ثم أعد المحاولة.",
        "Correct the fields listed in errors and try again.",
    ),
    "bad_request": Message(
        "طلب غير صالح",
        "Bad request",
        "تعذّر فهم الطلب.",
        "The request could not be understood.",
    ),
    "invalid_cursor": Message(
        "مؤشر الصفحة غير صالح",
        "Invalid page cursor",
        "استخدم قيمة next_cursor كما أعادتها الخدمة.",
        "Use the next_cursor value exactly as the service returned it.",
    ),
    "not_authenticated": Message(
        "يلزم تسجيل الدخول",
        "Authentication required",
        "أرسل رمز وصول صالحًا في ترويسة Authorization بصيغة Bearer.",
        "Send a valid access token in the Authorization header as a Bearer token.",
    ),
    "invalid_token": Message(
        "رمز الوصول غير صالح",
        "Invalid access token",
        "رمز الوصول مرفوض: {reason}.",
        "The access token was rejected: {reason}.",
    ),
    "forbidden": Message(
        "غير مسموح",
        "Forbidden",
        "لا تملك الصلاحية {permission} اللازمة لهذه العملية.",
        "You lack the {permission} permission this operation needs.",
    ),
    "not_found": Message(
        "غير موجود",
        "Not found",
        "المورد المطلوب غير موجود.",
        "The requested resource does not exist.",
    ),
    "method_not_allowed": Message(
        "الطريقة غير مسموحة",
        "Method not allowed",
        "هذا المسار لا يقبل الطريقة {method}.",
        "This path does not accept the {method} method.",
    ),
    "conflict": Message(
        "تعارض",
        "Conflict",
        "يتعارض الطلب مع الحالة الحالية للمورد.",
        "The request conflicts with the current state of the resource.",
    ),
    "edit_conflict": Message(
        "تعديل متزامن",
        "Concurrent edit",
        "عدّل شخص آخر هذا المورد في الوقت نفسه؛ أعد تحميله ثم أعد المحاولة.",
        "Someone else changed this resource at the same time; reload it and try again.",
    ),
    "invalid_transition": Message(
        "انتقال غير مسموح",
        "Transition not allowed",
        "لا يمكن الانتقال من الحالة {from_state} إلى {to_state}.",
        "Cannot move from {from_state} to {to_state}.",
    ),
    "idempotency_key_reused": Message(
        "مفتاح عدم التكرار مستخدم",
        "Idempotency key already used",
        "استُخدم مفتاح Idempotency-Key هذا لطلب مختلف؛ استخدم مفتاحًا جديدًا.",
        "This Idempotency-Key was used for a different request; use a new key.",
    ),
    "idempotency_key_in_use": Message(
        "الطلب قيد المعالجة",
        "Request in progress",
        "طلب آخر بالمفتاح نفسه قيد المعالجة؛ أعد المحاولة بعد لحظات.",
        "Another request with the same Idempotency-Key is being processed; retry shortly.",
    ),
    "invalid_idempotency_key": Message(
        "مفتاح عدم التكرار غير صالح",
        "Invalid idempotency key",
        "يجب أن يتكون Idempotency-Key من 1 إلى 255 حرفًا مرئيًا.",
        "Idempotency-Key must be 1 to 255 visible ASCII characters.",
    ),
    "precondition_failed": Message(
        "الشرط المسبق غير متحقق",
        "Precondition failed",
        "تغيّر المورد منذ قراءته (الإصدار الحالي {current}); أعد تحميله ثم أعد المحاولة.",
        "The resource changed since you read it (current version {current}); reload and retry.",
    ),
    "payload_too_large": Message(
        "حجم الطلب كبير جدًا",
        "Request too large",
        "تجاوز حجم الطلب الحد المسموح.",
        "The request body exceeds the allowed size.",
    ),
    "unsupported_media_type": Message(
        "نوع المحتوى غير مدعوم",
        "Unsupported media type",
        "أرسل البيانات بصيغة application/json.",
        "Send the body as application/json.",
    ),
    "holiday_not_found": Message(
        "لا توجد إجازة في هذا التاريخ",
        "No holiday on this date",
        "التاريخ {date} ليس إجازة في التقويم.",
        "{date} is not a holiday in the calendar.",
    ),
    "holiday_exists": Message(
        "الإجازة مسجلة مسبقًا",
        "Holiday already recorded",
        "هذه التواريخ مسجلة إجازات رسمية أو يدوية: {date}؛ عدّلها بطلب PATCH.",
        "These dates already hold an official or manual holiday: {date}; change them with PATCH.",
    ),
    "date_out_of_range": Message(
        "التاريخ خارج النطاق المدعوم",
        "Date out of range",
        "التاريخ {date} خارج نطاق تقويم أم القرى المدعوم (1924-08-01 إلى 2077-11-16).",
        "{date} is outside the supported Umm al-Qura range (1924-08-01 to 2077-11-16).",
    ),
    "invalid_date_range": Message(
        "نطاق تواريخ غير صالح",
        "Invalid date range",
        "يجب ألا يسبق تاريخ النهاية تاريخ البداية.",
        "The end date must not be before the start date.",
    ),
    "date_range_too_long": Message(
        "نطاق التواريخ طويل جدًا",
        "Date range too long",
        "يمكن إضافة {limit} يومًا على الأكثر في طلب واحد.",
        "At most {limit} days can be added in one request.",
    ),
    "consultation_not_found": Message(
        "الاستشارة غير موجودة",
        "Consultation not found",
        "لا توجد استشارة بهذا المعرّف يمكنك الاطلاع عليها.",
        "There is no consultation with this id that you can see.",
    ),
    "consultation_not_open": Message(
        "الاستشارة غير مفتوحة",
        "Consultation not open",
        "لا تقبل الاستشارة المشاركات الآن (حالتها {status}).",
        "The consultation does not accept input now (it is {status}).",
    ),
    "channel_not_accepted": Message(
        "القناة غير مقبولة",
        "Channel not accepted",
        "لا تقبل هذه الاستشارة المشاركات عبر القناة {channel}.",
        "This consultation does not accept input through {channel}.",
    ),
    "consultation_not_editable": Message(
        "لا يمكن تعديل الاستشارة",
        "Consultation cannot be edited",
        "تُعدَّل الاستشارة وهي مسودة أو مجدولة فقط (حالتها {status}).",
        "A consultation can be edited only while draft or scheduled (it is {status}).",
    ),
    "already_responded": Message(
        "تمت الإجابة مسبقًا",
        "Already responded",
        "أجبت على استطلاع هذه الاستشارة من قبل؛ يُقبل رد واحد لكل مستفيد.",
        "You have already answered this consultation's poll; one response per beneficiary.",
    ),
    "poll_locked": Message(
        "الاستطلاع مقفل",
        "Poll locked",
        "وصلت إجابات على الاستطلاع فلم يعد تعديل أسئلته ممكنًا.",
        "The poll has answers, so its questions can no longer change.",
    ),
    "invalid_answer": Message(
        "إجابة غير صالحة",
        "Invalid answer",
        "الإجابة لا تطابق السؤال: {reason}",
        "The answer does not fit its question: {reason}",
    ),
    "poll_not_editable": Message(
        "لا يمكن تعديل الاستطلاع",
        "Poll cannot be edited",
        "تُعدَّل أسئلة الاستطلاع والاستشارة مسودة أو مجدولة أو مفتوحة فقط (حالتها {status}).",
        "Poll questions change only while the consultation is draft, scheduled or open "
        "(it is {status}).",
    ),
    "poll_empty": Message(
        "لا يوجد استطلاع",
        "No poll",
        "ليس لهذه الاستشارة أسئلة استطلاع للإجابة عنها.",
        "This consultation has no poll questions to answer.",
    ),
    "poll_response_not_found": Message(
        "لا توجد إجابة",
        "No poll response",
        "لم تُجب على استطلاع هذه الاستشارة.",
        "You have not answered this consultation's poll.",
    ),
    "poll_results_not_public": Message(
        "نتائج الاستطلاع غير منشورة",
        "Poll results not public",
        "تُنشر نتائج الاستطلاع بعد إغلاق الاستشارة، أو أثناءها إذا أتاحت النتائج المباشرة.",
        "Poll results are public once the consultation closes, or while it is open when it "
        "shows live results.",
    ),
    "submission_not_found": Message(
        "المشاركة غير موجودة",
        "Submission not found",
        "لا توجد مشاركة بهذا المعرّف يمكنك الاطلاع عليها.",
        "There is no submission with this id that you can see.",
    ),
    "invalid_disposition": Message(
        "نتيجة غير صالحة",
        "Invalid disposition",
        "النتيجة {disposition} لا تناسب مشاركة من نوع {kind}.",
        "The disposition {disposition} does not apply to a {kind}.",
    ),
    "submission_closed": Message(
        "المشاركة مغلقة",
        "Submission closed",
        "لا يمكن تغيير تصنيف مشاركة بُتّ فيها أو سُحبت (حالتها {status}).",
        "A decided or withdrawn submission can no longer be classified (it is {status}).",
    ),
    "subtopic_outside_topic": Message(
        "الموضوع الفرعي لا يتبع الموضوع",
        "Subtopic outside topic",
        "الموضوع الفرعي {subtopic} لا يتبع الموضوع {topic}؛ أرسل الموضوع الفرعي وحده.",
        "Subtopic {subtopic} does not belong to topic {topic}; send the subtopic alone.",
    ),
    "feedback_incomplete": Message(
        "لم يكتمل البت في المشاركات",
        "Input not all decided",
        "لا يُنشر تقرير التغذية الراجعة قبل البت في كل المشاركات؛ المتبقي {undecided}.",
        "The feedback report cannot be published before every input is decided; {undecided} left.",
    ),
    "consultation_not_closed": Message(
        "الاستشارة لم تُغلق",
        "Consultation not closed",
        "يُنشر تقرير التغذية الراجعة بعد إغلاق الاستشارة (حالتها {status}).",
        "The feedback report is published after the consultation closes (it is {status}).",
    ),
    "feedback_not_found": Message(
        "لا يوجد تقرير تغذية راجعة",
        "No feedback report",
        "لم يُنشر تقرير تغذية راجعة لهذه الاستشارة بعد.",
        "No feedback report has been published for this consultation yet.",
    ),
    "consultation_closing_passed": Message(
        "انقضى موعد الإغلاق",
        "Closing time has passed",
        "موعد إغلاق الاستشارة قد مضى، فلا يمكن نشرها أو إبقاؤها مجدولة؛ عدّل موعد الإغلاق أولًا.",
        "The consultation's closing time has passed, so it cannot be published or stay "
        "scheduled; move closes_at first.",
    ),
    "feedback_already_published": Message(
        "نُشر تقرير التغذية الراجعة",
        "Feedback report already published",
        "نُشر تقرير التغذية الراجعة لهذه الاستشارة فلم يعد تعديله ممكنًا.",
        "This consultation's feedback report is published and can no longer change.",
    ),
    "highlight_not_in_consultation": Message(
        "المشاركة ليست من هذه الاستشارة",
        "Submission not in this consultation",
        "المشاركة {submission_id} ليست من مشاركات هذه الاستشارة.",
        "Submission {submission_id} was not made to this consultation.",
    ),
    "highlight_not_adopted": Message(
        "المشاركة غير معتمدة",
        "Submission not adopted",
        "تُقتبس في التقرير المشاركات التي بُتّ فيها بالاعتماد الكلي أو الجزئي فقط ({submission_id}).",
        "Only inputs decided as adopted or partially adopted can be highlighted ({submission_id}).",
    ),
    "information_request_not_found": Message(
        "طلب المعلومات غير موجود",
        "Information request not found",
        "لا يوجد طلب معلومات بهذا المعرّف يمكنك الاطلاع عليه.",
        "There is no information request with this id that you can see.",
    ),
    "legal_ground_required": Message(
        "يلزم سند نظامي",
        "Legal ground required",
        "الرفض أو الإجابة الجزئية يتطلبان سندًا نظاميًا واحدًا على الأقل مع تسبيب.",
        "A refusal or partial answer needs at least one legal ground and an explanation.",
    ),
    "citation_required": Message(
        "يلزم ذكر النظام",
        "Citation required",
        "السند other_law يتطلب ذكر النظام والمادة.",
        "The other_law ground needs a citation of the law and article.",
    ),
    "clarification_limit_reached": Message(
        "تجاوز حد طلبات الإيضاح",
        "Clarification limit reached",
        "لا يمكن إيقاف المهلة لطلب إيضاح أكثر من {limit} مرة.",
        "The clock cannot be paused for clarification more than {limit} time(s).",
    ),
    "appeal_not_found": Message(
        "التظلم غير موجود",
        "Appeal not found",
        "لا يوجد تظلم بهذا المعرّف يمكنك الاطلاع عليه.",
        "There is no appeal with this id that you can see.",
    ),
    "appeal_not_eligible": Message(
        "لا يحق التظلم",
        "Appeal not eligible",
        "لا يمكن تقديم هذا التظلم: {reason}.",
        "This appeal cannot be filed: {reason}.",
    ),
    "conflict_of_interest": Message(
        "تعارض مصالح",
        "Conflict of interest",
        "لا يبت في التظلم من أسند الطلب أو عالجه أو بت فيه.",
        "An officer who assigned, handled or decided the request cannot decide its appeal.",
    ),
    "disclosure_entry_not_found": Message(
        "القيد غير موجود في سجل الإفصاح",
        "Disclosure entry not found",
        "لا يوجد قيد بهذا المعرّف في سجل الإفصاح.",
        "There is no disclosure log entry with this id.",
    ),
    "disclosure_not_allowed": Message(
        "لا يُنشر هذا الطلب",
        "Request cannot be published",
        "يُنشر في سجل الإفصاح ما أُجيب كليًا أو جزئيًا فقط؛ حالة الطلب {status}.",
        "Only answered or partially answered requests are published; this one is {status}.",
    ),
    "disclosure_already_published": Message(
        "نُشر الطلب من قبل",
        "Already published",
        "لهذا الطلب قيد في سجل الإفصاح.",
        "This request already has an entry in the disclosure log.",
    ),
    "dataset_not_found": Message(
        "مجموعة البيانات غير موجودة",
        "Dataset not found",
        "لا توجد مجموعة بيانات منشورة بهذا المعرّف أو الاسم المختصر.",
        "There is no published dataset with this id or slug.",
    ),
    "slug_taken": Message(
        "الاسم المختصر مستخدم",
        "Slug already used",
        "الاسم المختصر {slug} مستخدم لمجموعة بيانات أخرى.",
        "The slug {slug} is already used by another dataset.",
    ),
    "release_exists": Message(
        "الإصدار مسجل",
        "Release already recorded",
        "سُجّل إصدار لهذه المجموعة بتاريخ {date} من قبل.",
        "A release of this dataset on {date} is already recorded.",
    ),
    "unknown_licence": Message(
        "ترخيص غير معروف",
        "Unknown licence",
        "الترخيص {licence} ليس من تراخيص الفهرس: {known}.",
        "The licence {licence} is not one of the catalogue's: {known}.",
    ),
    "unknown_format": Message(
        "صيغة غير معروفة",
        "Unknown format",
        "الصيغة {format} ليست من صيغ الفهرس: {known}.",
        "The format {format} is not one of the catalogue's: {known}.",
    ),
    "release_in_future": Message(
        "تاريخ إصدار في المستقبل",
        "Release date in the future",
        "لا يُسجل إصدار بتاريخ {date} بعد تاريخ اليوم {today} (بتوقيت الرياض).",
        "A release cannot be recorded on {date}, after today ({today}, Asia/Riyadh).",
    ),
    "slug_not_editable": Message(
        "لا يتغير الاسم المختصر",
        "Slug cannot change",
        "يتغير الاسم المختصر ما دامت المجموعة مسودة فقط؛ حالتها {status}.",
        "The slug changes only while the dataset is a draft; it is {status}.",
    ),
    "distribution_not_found": Message(
        "التوزيع غير موجود",
        "Distribution not found",
        "لا يوجد توزيع بهذا المعرّف في مجموعة البيانات هذه.",
        "This dataset has no distribution with this id.",
    ),
    # -- analytics (GET /v1/analytics/topics and /v1/analytics/channels) --
    "analytics_window_invalid": Message(
        "فترة التحليل غير صالحة",
        "Invalid analytics window",
        "يجب ألا يقع تاريخ البداية ({start}) بعد تاريخ النهاية ({end})، "
        "وألا تزيد الفترة على 366 يومًا.",
        "The start date ({start}) must not be after the end date ({end}), "
        "and the window must not exceed 366 days.",
    ),
    # -- end analytics --
    # -- webhooks (/v1/webhooks) --
    "webhook_url_invalid": Message(
        "عنوان الويب هوك غير صالح",
        "Invalid webhook URL",
        "أرسل عنوانًا كاملًا بمخطط https أو http ومضيف، دون بيانات دخول أو جزء (#).",
        "Send an absolute https or http URL with a host, without credentials or a fragment.",
    ),
    "webhook_https_required": Message(
        "يلزم https",
        "HTTPS required",
        "لا تُرسل الأحداث إلا إلى عناوين https في هذه البيئة.",
        "Events are sent to https URLs only in this environment.",
    ),
    "webhook_target_not_allowed": Message(
        "وجهة الويب هوك غير مسموحة",
        "Webhook target not allowed",
        "يشير المضيف إلى عنوان داخلي أو محجوز (محلي أو خاص أو رابط محلي أو بث متعدد)؛ "
        "استخدم عنوانًا عامًا.",
        "The host is or resolves to an internal or reserved address (loopback, private, "
        "link-local, multicast); use a public address.",
    ),
    "webhook_host_unresolvable": Message(
        "تعذّر العثور على المضيف",
        "Host not found",
        "تعذّر تحويل اسم المضيف في العنوان إلى عنوان IP؛ تحقّق من كتابته.",
        "The URL's host name could not be resolved to an address; check its spelling.",
    ),
    "webhook_delivery_not_failed": Message(
        "لا يُعاد إرسال هذا التسليم",
        "Delivery not failed",
        "يُعاد إرسال التسليمات الفاشلة فقط؛ حالة هذا التسليم {status}.",
        "Only failed deliveries can be replayed; this one is {status}.",
    ),
    # -- end webhooks --
    # -- event feed (GET /v1/events) --
    "unknown_event_type": Message(
        "نوع حدث غير معروف",
        "Unknown event type",
        "يحتوي المعامل types على نوع حدث غير معروف. الأنواع المعروفة: {known}.",
        "The types parameter names an unknown event type. Known types: {known}.",
    ),
    "event_not_found": Message(
        "الحدث غير موجود",
        "Event not found",
        "لا يوجد حدث بهذا المعرّف.",
        "There is no event with this id.",
    ),
    # -- end event feed --
    "rate_limited": Message(
        "طلبات كثيرة",
        "Too many requests",
        "تجاوزت عدد الطلبات المسموح؛ أعد المحاولة لاحقًا.",
        "You have sent too many requests; try again later.",
    ),
    "service_unavailable": Message(
        "الخدمة غير جاهزة",
        "Service not ready",
        "{reason}",
        "{reason}",
    ),
    "internal_error": Message(
        "خطأ داخلي",
        "Internal error",
        "حدث خطأ غير متوقع؛ اذكر رقم الطلب {request_id} عند التواصل مع الدعم.",
        "An unexpected error occurred; quote request id {request_id} when contacting support.",
    ),
    "http_error": Message(
        "خطأ في الطلب",
        "Request error",
        "{reason}",
        "{reason}",
    ),
}


def negotiate(accept_language: str | None) -> Language:
    """Pick the best supported language from an Accept-Language header (RFC 9110 weights)."""
    best: tuple[float, Language] | None = None
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        weight = _quality(params)
        if primary in SUPPORTED and weight > 0 and (best is None or weight > best[0]):
            best = (weight, "en" if primary == "en" else "ar")
        elif primary == "*" and weight > 0 and best is None:
            best = (weight, DEFAULT_LANGUAGE)
    return best[1] if best else DEFAULT_LANGUAGE


def _quality(params: str) -> float:
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def message(code: str) -> Message:
    return CATALOGUE.get(code, CATALOGUE["http_error"])
