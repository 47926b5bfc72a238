/**
 * Link-preview bots (chat apps, social networks, search crawlers) fetch a URL the moment
 * it is pasted. Such a fetch is not an emergency: it must not see the patient's data nor
 * alert anyone (issue 3: "a link-preview bot … must not send a storm of SMS"). The list
 * covers the user agents the major messengers document for their unfurlers.
 */
const PREVIEW_AGENTS =
  /(bot\b|bot\/|crawler|spider|preview|facebookexternalhit|facebot|whatsapp|telegram|slack|discord|twitterbot|linkedin|skype|embedly|quora link|pinterest|vkshare|redditbot|applebot|mastodon|signal|viber|outlook|google-?pagerenderer|bingpreview|yahoo|duckduckbot|headlesschrome\/.*lighthouse)/i

/**
 * True for a user agent that should get the data-free preview page. A list can mistake a
 * person's browser for a bot (a "CUBOT" phone, Telegram's or WhatsApp's in-app browser):
 * the preview page therefore links to the full card (SPEC §4.6).
 */
export function isLinkPreview(userAgent: string | undefined): boolean {
  if (!userAgent) return false
  return PREVIEW_AGENTS.test(userAgent)
}
