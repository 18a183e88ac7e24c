package listener

import (
	"sort"
	"strconv"
	"strings"

	"github.com/resonanz/resonanz/backend/resonanz"
)

// texts are a page's strings in one language (template: {{.T.key}}).
type texts map[string]string

var baseTexts = map[string]texts{
	"en": {
		"lang":                    "en",
		"nf_title":                "Link not valid",
		"busy_title":              "Too many requests",
		"busy_text":               "Too many requests came from your connection. Please try again in a moment.",
		"nf_text":                 "This link is not valid. If you copied it from an e-mail, please check that it is complete.",
		"expired_title":           "Link expired",
		"expired_text":            "This link has expired. Please use the link in the most recent newsletter.",
		"error_title":             "Something went wrong",
		"error_text":              "Your request could not be processed. Please try again later.",
		"csrf_title":              "Please try again",
		"csrf_text":               "The form has expired. Please reload the page and submit it again.",
		"preview":                 "This is a preview or test mail: nothing is changed.",
		"preview_title":           "Preview",
		"preview_refused":         "This is a preview or test mail: it shows sample data and cannot read, download, change or delete anyone's data.",
		"sample_first_name":       "Jane",
		"sample_last_name":        "Doe",
		"sample_email":            "jane.doe@example.org",
		"sample_list":             "Newsletter",
		"unsub_title":             "Unsubscribe",
		"unsub_text":              "Do you want to unsubscribe from this newsletter?",
		"unsub_button":            "Unsubscribe",
		"unsub_done_title":        "You are unsubscribed",
		"unsub_done_text":         "You will no longer receive this newsletter.",
		"profile_title":           "Your profile",
		"email":                   "E-mail address",
		"first_name":              "First name",
		"last_name":               "Last name",
		"salutation":              "Salutation",
		"sal_none":                "not specified",
		"sal_f":                   "Ms",
		"sal_m":                   "Mr",
		"sal_d":                   "diverse (no gendered salutation)",
		"title":                   "Title",
		"language":                "Language",
		"lang_none":               "as the newsletter",
		"lang_de":                 "Deutsch",
		"lang_en":                 "English",
		"lists_heading":           "Newsletters",
		"lists_none":              "You are not on any list.",
		"consents_heading":        "Evaluation",
		"consents_note":           "This is independent of your newsletter subscription. You can change it here at any time.",
		"save":                    "Save",
		"saved":                   "Your changes have been saved.",
		"stale":                   "The texts on this page have changed in the meantime. Please review your choices and save again.",
		"export_heading":          "Your data",
		"export_text":             "Download everything stored about you as a file (JSON).",
		"export_button":           "Download my data",
		"erase_heading":           "Delete my data",
		"erase_text":              "You can ask for all your data to be deleted. You will then no longer receive any newsletters.",
		"erase_button":            "Request deletion",
		"erase_confirm":           "Do you really want all your data to be deleted? You will no longer receive any newsletters. This cannot be undone.",
		"erase_yes":               "Yes, delete my data",
		"cancel":                  "Cancel",
		"erase_done_title":        "Deletion requested",
		"erase_done_text":         "Your request has been recorded. Your data will be deleted.",
		"too_large":               "The request is too large.",
		"bad_request_title":       "Invalid request",
		"survey_submit":           "Send answers",
		"survey_required_mark":    "required",
		"survey_low":              "1 = poor",
		"survey_high":             "5 = very good",
		"survey_answered":         "You have answered this survey before. If you send it again, your new answers replace the earlier ones.",
		"survey_fix":              "Please check the marked questions.",
		"survey_required":         "Please answer this question.",
		"survey_invalid":          "This answer is not valid. Please choose one of the options.",
		"survey_too_long":         "The text is too long (at most 2000 characters).",
		"survey_closed":           "This survey is closed. Thank you for your interest.",
		"survey_done_title":       "Thank you!",
		"survey_done_text":        "Your answers have been saved.",
		"form_title":              "Newsletter: {list}",
		"form_consents_heading":   "Optional: evaluation",
		"form_consents_note":      "These are separate from the newsletter and voluntary: you receive the newsletter without them too.",
		"form_note":               "We will send you an e-mail with a confirmation link. You only receive the newsletter after you have confirmed.",
		"form_submit":             "Subscribe",
		"form_check":              "Please check your details and the texts below, then subscribe here.",
		"form_required":           "Please tick the box for the newsletter to subscribe.",
		"form_email_invalid":      "This e-mail address is not valid. Please check it.",
		"form_done_title":         "Please check your inbox",
		"form_done_text":          "If this address can receive the newsletter, we have just sent it an e-mail with a confirmation link. Please click it to complete your subscription; the link is valid for 7 days.",
		"login_link":              "Already subscribed? Manage your profile",
		"confirm_title":           "Confirm your subscription",
		"confirm_text":            "Please confirm that you want to receive the newsletter.",
		"confirm_button":          "Yes, confirm my subscription",
		"confirm_done_title":      "Thank you!",
		"confirm_done_text":       "Your subscription to the newsletter \"{list}\" is confirmed.",
		"confirm_expired_text":    "This confirmation link has expired. Please subscribe again with the form.",
		"login_title":             "Manage your profile",
		"login_text":              "Enter your e-mail address. If it is registered with us, we will send you a personal link to your profile.",
		"login_button":            "Send me the link",
		"login_done_title":        "Please check your inbox",
		"login_done_text":         "If this address is registered with us, we have just sent it a personal link to your profile. The link is valid for 30 days.",
		"mail_hello":              "Hello,",
		"mail_hello_name":         "Hello {name},",
		"mail_url_note":           "If the button does not work, copy this address into your browser:",
		"mail_wording_note":       "You agreed to:",
		"mail_confirm_subject":    "Please confirm your subscription: {list}",
		"mail_confirm_text":       "You (or someone using your address) asked to receive the newsletter \"{list}\". Please confirm this with the button below. The link is valid for 7 days.",
		"mail_confirm_button":     "Confirm subscription",
		"mail_confirm_ignore":     "If this was not you, simply ignore this e-mail: without confirmation you will receive nothing.",
		"mail_profile_subject":    "Your link to manage your profile",
		"mail_profile_text":       "Here is your personal link to your profile: your data, your newsletters and your consents. The link is valid for 30 days; please do not pass it on.",
		"mail_profile_button":     "Open my profile",
		"mail_profile_ignore":     "If you did not ask for this link, simply ignore this e-mail.",
		"sender":                  "the sender",
		"sender_named":            "{name}",
		"sender_at":               "with the sender",
		"sender_at_named":         "with {name}",
		"logo_alt":                "Logo",
		"quote_open":              "\"",
		"quote_close":             "\"",
		"and":                     "and",
		"unsub_text_list":         "Do you want to unsubscribe from the newsletter {lists}?",
		"unsub_text_lists":        "Do you want to unsubscribe from the newsletters {lists}?",
		"unsub_done_text_list":    "You will no longer receive the newsletter {lists}.",
		"unsub_done_text_lists":   "You will no longer receive the newsletters {lists}.",
		"unsub_address":           "E-mail address:",
		"mail_confirm_text_named": "You (or someone using your address) asked to receive the newsletter \"{list}\" from {name}. Please confirm this with the button below. The link is valid for 7 days.",
		"mail_profile_text_named": "Here is your personal link to your profile with {name}: your data, your newsletters and your consents. The link is valid for 30 days; please do not pass it on.",
		"mail_signoff":            "Best regards",
	},
	"de": {
		"lang":                    "de",
		"nf_title":                "Link ungültig",
		"busy_title":              "Zu viele Anfragen",
		"busy_text":               "Von Ihrer Verbindung kamen zu viele Anfragen. Bitte versuchen Sie es gleich noch einmal.",
		"nf_text":                 "Dieser Link ist ungültig. Wenn Sie ihn aus einer E-Mail kopiert haben, prüfen Sie bitte, ob er vollständig ist.",
		"expired_title":           "Link abgelaufen",
		"expired_text":            "Dieser Link ist abgelaufen. Bitte verwenden Sie den Link im neuesten Newsletter.",
		"error_title":             "Etwas ist schiefgegangen",
		"error_text":              "Ihre Anfrage konnte nicht bearbeitet werden. Bitte versuchen Sie es später noch einmal.",
		"csrf_title":              "Bitte noch einmal versuchen",
		"csrf_text":               "Das Formular ist abgelaufen. Bitte laden Sie die Seite neu und senden Sie es noch einmal ab.",
		"preview":                 "Dies ist eine Vorschau oder Testmail: Es wird nichts geändert.",
		"preview_title":           "Vorschau",
		"preview_refused":         "Dies ist eine Vorschau oder Testmail: Sie zeigt Beispieldaten und kann niemandes Daten lesen, herunterladen, ändern oder löschen.",
		"sample_first_name":       "Erika",
		"sample_last_name":        "Mustermann",
		"sample_email":            "erika.mustermann@example.org",
		"sample_list":             "Newsletter",
		"unsub_title":             "Abmelden",
		"unsub_text":              "Möchten Sie sich von diesem Newsletter abmelden?",
		"unsub_button":            "Abmelden",
		"unsub_done_title":        "Sie sind abgemeldet",
		"unsub_done_text":         "Sie erhalten diesen Newsletter nicht mehr.",
		"profile_title":           "Ihr Profil",
		"email":                   "E-Mail-Adresse",
		"first_name":              "Vorname",
		"last_name":               "Nachname",
		"salutation":              "Anrede",
		"sal_none":                "keine Angabe",
		"sal_f":                   "Frau",
		"sal_m":                   "Herr",
		"sal_d":                   "divers (ohne geschlechtsbezogene Anrede)",
		"title":                   "Titel",
		"language":                "Sprache",
		"lang_none":               "wie der Newsletter",
		"lang_de":                 "Deutsch",
		"lang_en":                 "English",
		"lists_heading":           "Newsletter",
		"lists_none":              "Sie stehen auf keiner Liste.",
		"consents_heading":        "Auswertung",
		"consents_note":           "Das ist unabhängig von Ihrem Newsletter-Abonnement. Sie können es hier jederzeit ändern.",
		"save":                    "Speichern",
		"saved":                   "Ihre Änderungen wurden gespeichert.",
		"stale":                   "Die Texte auf dieser Seite haben sich inzwischen geändert. Bitte prüfen Sie Ihre Auswahl und speichern Sie noch einmal.",
		"export_heading":          "Ihre Daten",
		"export_text":             "Laden Sie alles, was über Sie gespeichert ist, als Datei (JSON) herunter.",
		"export_button":           "Meine Daten herunterladen",
		"erase_heading":           "Meine Daten löschen",
		"erase_text":              "Sie können verlangen, dass alle Ihre Daten gelöscht werden. Sie erhalten dann keine Newsletter mehr.",
		"erase_button":            "Löschung beantragen",
		"erase_confirm":           "Sollen wirklich alle Ihre Daten gelöscht werden? Sie erhalten dann keine Newsletter mehr. Das kann nicht rückgängig gemacht werden.",
		"erase_yes":               "Ja, meine Daten löschen",
		"cancel":                  "Abbrechen",
		"erase_done_title":        "Löschung beantragt",
		"erase_done_text":         "Ihr Antrag wurde gespeichert. Ihre Daten werden gelöscht.",
		"too_large":               "Die Anfrage ist zu groß.",
		"bad_request_title":       "Ungültige Anfrage",
		"survey_submit":           "Antworten senden",
		"survey_required_mark":    "Pflichtfrage",
		"survey_low":              "1 = schlecht",
		"survey_high":             "5 = sehr gut",
		"survey_answered":         "Sie haben diese Umfrage schon beantwortet. Wenn Sie sie noch einmal senden, ersetzen Ihre neuen Antworten die früheren.",
		"survey_fix":              "Bitte prüfen Sie die markierten Fragen.",
		"survey_required":         "Bitte beantworten Sie diese Frage.",
		"survey_invalid":          "Diese Antwort ist ungültig. Bitte wählen Sie eine der Möglichkeiten.",
		"survey_too_long":         "Der Text ist zu lang (höchstens 2000 Zeichen).",
		"survey_closed":           "Diese Umfrage ist beendet. Vielen Dank für Ihr Interesse.",
		"survey_done_title":       "Vielen Dank!",
		"survey_done_text":        "Ihre Antworten wurden gespeichert.",
		"form_title":              "Newsletter: {list}",
		"form_consents_heading":   "Freiwillig: Auswertung",
		"form_consents_note":      "Das ist vom Newsletter getrennt und freiwillig: Sie erhalten den Newsletter auch ohne.",
		"form_note":               "Wir senden Ihnen eine E-Mail mit einem Bestätigungslink. Erst nach Ihrer Bestätigung erhalten Sie den Newsletter.",
		"form_submit":             "Abonnieren",
		"form_check":              "Bitte prüfen Sie Ihre Angaben und die Texte unten und abonnieren Sie dann hier.",
		"form_required":           "Bitte kreuzen Sie das Feld für den Newsletter an, um ihn zu abonnieren.",
		"form_email_invalid":      "Diese E-Mail-Adresse ist ungültig. Bitte prüfen Sie sie.",
		"form_done_title":         "Bitte prüfen Sie Ihr Postfach",
		"form_done_text":          "Wenn diese Adresse den Newsletter erhalten kann, haben wir ihr gerade eine E-Mail mit einem Bestätigungslink geschickt. Bitte klicken Sie darauf, um das Abonnement abzuschließen; der Link ist 7 Tage gültig.",
		"login_link":              "Schon angemeldet? Profil verwalten",
		"confirm_title":           "Abonnement bestätigen",
		"confirm_text":            "Bitte bestätigen Sie, dass Sie den Newsletter erhalten möchten.",
		"confirm_button":          "Ja, Abonnement bestätigen",
		"confirm_done_title":      "Vielen Dank!",
		"confirm_done_text":       "Ihr Abonnement des Newsletters „{list}“ ist bestätigt.",
		"confirm_expired_text":    "Dieser Bestätigungslink ist abgelaufen. Bitte melden Sie sich mit dem Formular noch einmal an.",
		"login_title":             "Profil verwalten",
		"login_text":              "Geben Sie Ihre E-Mail-Adresse ein. Wenn sie bei uns eingetragen ist, schicken wir Ihnen einen persönlichen Link zu Ihrem Profil.",
		"login_button":            "Link zusenden",
		"login_done_title":        "Bitte prüfen Sie Ihr Postfach",
		"login_done_text":         "Wenn diese Adresse bei uns eingetragen ist, haben wir ihr gerade einen persönlichen Link zu Ihrem Profil geschickt. Der Link ist 30 Tage gültig.",
		"mail_hello":              "Guten Tag,",
		"mail_hello_name":         "Guten Tag {name},",
		"mail_url_note":           "Falls die Schaltfläche nicht funktioniert, kopieren Sie diese Adresse in Ihren Browser:",
		"mail_wording_note":       "Ihre Einwilligung:",
		"mail_confirm_subject":    "Bitte bestätigen Sie Ihr Abonnement: {list}",
		"mail_confirm_text":       "Sie (oder jemand mit Ihrer Adresse) möchten den Newsletter „{list}“ erhalten. Bitte bestätigen Sie das mit der Schaltfläche unten. Der Link ist 7 Tage gültig.",
		"mail_confirm_button":     "Abonnement bestätigen",
		"mail_confirm_ignore":     "Wenn Sie das nicht waren, ignorieren Sie diese E-Mail einfach: Ohne Bestätigung erhalten Sie nichts.",
		"mail_profile_subject":    "Ihr Link zur Profilverwaltung",
		"mail_profile_text":       "Hier ist Ihr persönlicher Link zu Ihrem Profil: Ihre Daten, Ihre Newsletter und Ihre Einwilligungen. Der Link ist 30 Tage gültig; bitte geben Sie ihn nicht weiter.",
		"mail_profile_button":     "Mein Profil öffnen",
		"mail_profile_ignore":     "Wenn Sie diesen Link nicht angefordert haben, ignorieren Sie diese E-Mail einfach.",
		"sender":                  "der Absender",
		"sender_named":            "{name}",
		"sender_at":               "beim Absender",
		"sender_at_named":         "bei {name}",
		"logo_alt":                "Logo",
		"quote_open":              "„",
		"quote_close":             "“",
		"and":                     "und",
		"unsub_text_list":         "Möchten Sie sich vom Newsletter {lists} abmelden?",
		"unsub_text_lists":        "Möchten Sie sich von den Newslettern {lists} abmelden?",
		"unsub_done_text_list":    "Sie erhalten den Newsletter {lists} nicht mehr.",
		"unsub_done_text_lists":   "Sie erhalten die Newsletter {lists} nicht mehr.",
		"unsub_address":           "E-Mail-Adresse:",
		"mail_confirm_text_named": "Sie (oder jemand mit Ihrer Adresse) möchten den Newsletter „{list}“ von {name} erhalten. Bitte bestätigen Sie das mit der Schaltfläche unten. Der Link ist 7 Tage gültig.",
		"mail_profile_text_named": "Hier ist Ihr persönlicher Link zu Ihrem Profil bei {name}: Ihre Daten, Ihre Newsletter und Ihre Einwilligungen. Der Link ist 30 Tage gültig; bitte geben Sie ihn nicht weiter.",
		"mail_signoff":            "Viele Grüße",
	},
}

// defaultWordings are the consent texts shown next to the checkboxes and
// stored verbatim in the ledger. Config.Wordings overrides them.
var defaultWordings = map[string]map[string]string{
	"en": {
		resonanz.PurposeNewsletter:     `I want to receive the newsletter "{list}" by e-mail. I can unsubscribe at any time.`,
		resonanz.PurposeTrackingOpens:  "I agree that {sender} records when I open a newsletter (by loading a tiny image) and stores this with my address, to learn which topics interest readers. I can withdraw this at any time on this page.",
		resonanz.PurposeTrackingClicks: "I agree that {sender} records which links I click in a newsletter and stores this with my address, to learn which topics interest readers. I can withdraw this at any time on this page.",
		resonanz.PurposeProfiling:      "I agree that {sender} evaluates my opens and clicks to learn my interests and to send me content that suits them. I can withdraw this at any time on this page.",
		purposeSurveyProfile:           "Use my answers to update my profile {sender_at} (e.g. my interests). Interests are only evaluated if I have agreed to the evaluation on my profile page.",
		// The signup form's versions: withdrawal is on the profile page.
		formPrefix + resonanz.PurposeTrackingOpens:  "I agree that {sender} records when I open a newsletter (by loading a tiny image) and stores this with my address, to learn which topics interest readers. I can withdraw this at any time with the profile link in every newsletter.",
		formPrefix + resonanz.PurposeTrackingClicks: "I agree that {sender} records which links I click in a newsletter and stores this with my address, to learn which topics interest readers. I can withdraw this at any time with the profile link in every newsletter.",
		formPrefix + resonanz.PurposeProfiling:      "I agree that {sender} evaluates my opens and clicks to learn my interests and to send me content that suits them. I can withdraw this at any time with the profile link in every newsletter.",
	},
	"de": {
		resonanz.PurposeNewsletter:                  `Ich möchte den Newsletter „{list}“ per E-Mail erhalten. Ich kann ihn jederzeit abbestellen.`,
		resonanz.PurposeTrackingOpens:               "Ich bin einverstanden, dass {sender} erfasst, wann ich einen Newsletter öffne (durch das Laden eines winzigen Bildes), und dies zu meiner Adresse speichert, um zu erfahren, welche Themen die Leser interessieren. Ich kann das jederzeit auf dieser Seite widerrufen.",
		resonanz.PurposeTrackingClicks:              "Ich bin einverstanden, dass {sender} erfasst, welche Links ich in einem Newsletter anklicke, und dies zu meiner Adresse speichert, um zu erfahren, welche Themen die Leser interessieren. Ich kann das jederzeit auf dieser Seite widerrufen.",
		resonanz.PurposeProfiling:                   "Ich bin einverstanden, dass {sender} meine Öffnungen und Klicks auswertet, um meine Interessen kennenzulernen und mir dazu passende Inhalte zu senden. Ich kann das jederzeit auf dieser Seite widerrufen.",
		purposeSurveyProfile:                        "Meine Antworten dürfen mein Profil {sender_at} ergänzen (z. B. meine Interessen). Interessen werden nur ausgewertet, wenn ich der Auswertung auf meiner Profilseite zugestimmt habe.",
		formPrefix + resonanz.PurposeTrackingOpens:  "Ich bin einverstanden, dass {sender} erfasst, wann ich einen Newsletter öffne (durch das Laden eines winzigen Bildes), und dies zu meiner Adresse speichert, um zu erfahren, welche Themen die Leser interessieren. Ich kann das jederzeit über den Profil-Link in jedem Newsletter widerrufen.",
		formPrefix + resonanz.PurposeTrackingClicks: "Ich bin einverstanden, dass {sender} erfasst, welche Links ich in einem Newsletter anklicke, und dies zu meiner Adresse speichert, um zu erfahren, welche Themen die Leser interessieren. Ich kann das jederzeit über den Profil-Link in jedem Newsletter widerrufen.",
		formPrefix + resonanz.PurposeProfiling:      "Ich bin einverstanden, dass {sender} meine Öffnungen und Klicks auswertet, um meine Interessen kennenzulernen und mir dazu passende Inhalte zu senden. Ich kann das jederzeit über den Profil-Link in jedem Newsletter widerrufen.",
	},
}

// formPrefix marks the signup form's own wordings of a purpose
// ("form:tracking:opens"); Config.Wordings can override them the same way.
const formPrefix = "form:"

// consentPurposes are the purposes on the profile page, in order, with the
// form field of each.
var consentPurposes = []struct{ purpose, field string }{
	{resonanz.PurposeTrackingOpens, "c_opens"},
	{resonanz.PurposeTrackingClicks, "c_clicks"},
	{resonanz.PurposeProfiling, "c_profiling"},
}

// buildTexts merges the wording overrides into per-language texts; wordings
// are stored under "w:<purpose>".
func buildTexts(over map[string]map[string]string) map[string]texts {
	out := map[string]texts{}
	for lang, base := range baseTexts {
		t := texts{}
		for k, v := range base {
			t[k] = v
		}
		for p, w := range defaultWordings[lang] {
			t["w:"+p] = w
		}
		for p, w := range over[lang] {
			if strings.TrimSpace(w) != "" {
				t["w:"+p] = w
			}
		}
		out[lang] = t
	}
	return out
}

// wording returns the consent text for purpose (and list) in lang.
func (t texts) wording(purpose, listName string) string {
	return t.wordingBy(purpose, listName, t[tBrandName])
}

// wordingBy is wording with the business's name (or "the sender" when
// brand is empty).
func (t texts) wordingBy(purpose, listName, brand string) string {
	return strings.NewReplacer("{list}", listName, "{sender}", t.senderAs("sender", brand),
		"{sender_at}", t.senderAs("sender_at", brand)).Replace(t["w:"+purpose])
}

// findWording returns the wording (in any language, with the business's
// name of the request's texts t) whose hash is h: the
// form carries the hash of what it showed, so the ledger gets exactly that
// text and a forged form cannot put arbitrary text into it.
func (s *Server) findWording(t texts, purpose, listName, h string) (string, bool) {
	langs := make([]string, 0, len(s.texts))
	for l := range s.texts {
		langs = append(langs, l)
	}
	sort.Strings(langs)
	for _, l := range langs {
		if w := s.texts[l].wordingBy(purpose, listName, t[tBrandName]); w != "" && resonanz.WordingHash(w) == h {
			return w, true
		}
	}
	return "", false
}

// pickLanguage chooses de or en: the recipient's setting, else the
// browser's Accept-Language (highest q), else def.
func pickLanguage(recipient, acceptLanguage, def string) string {
	if recipient == "de" || recipient == "en" {
		return recipient
	}
	best, bestQ := "", 0.0
	for i, part := range strings.Split(acceptLanguage, ",") {
		if i > 20 {
			break
		}
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if primary != "de" && primary != "en" {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f > 1 {
				continue
			}
			q = f
		}
		if q > bestQ {
			best, bestQ = primary, q
		}
	}
	if best != "" {
		return best
	}
	return def
}
