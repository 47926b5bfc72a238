/**
 * Link-preview bots (chat apps, social networks, search crawlers) fetch a URL the moment
 * it is pasted. Such a fetch is not an emergency: it must not see the patient's data nor
 * alert anyone (issue 3: "a link-preview bot … must not send a storm of SMS"). The list
 * covers the user agents the major messengers document for their unfurlers.
 */
const PREVIEW_AGENTS =
  /(bot\b|bot\/|crawler|spider|preview|facebookexternalhit|facebot|whatsapp|telegram|slack|discord|twitterbot|linkedin|skype|embedly|quora link|pinterest|vkshare|redditbot|applebot|mastodon|signal|viber|outlook|google-?pagerenderer|bingpreview|yahoo|duckduckbot|headlesschrome\/.*lighthouse)/i

/** True for a request that should get the data-free preview page. HEAD requests count as previews. */
export function isLinkPreview(userAgent: string | undefined, method: string): boolean {
  if (method === 'HEAD') return true
  if (!userAgent) return false
  return PREVIEW_AGENTS.test(userAgent)
}
