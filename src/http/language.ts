import { languageDetector } from 'hono/language'
import { DEFAULT_LANGUAGE, LANGUAGES, type Language } from './error-text'

/**
 * The language of error answers: `?lang=` first, then Accept-Language, else zh-CN (the TV is
 * Chinese first). Any zh-* asks for zh-CN, any en-* for en. Nothing is remembered (no cookie).
 */
export const detectLanguage = languageDetector({
  supportedLanguages: [...LANGUAGES],
  fallbackLanguage: DEFAULT_LANGUAGE,
  order: ['querystring', 'header'],
  lookupQueryString: 'lang',
  caches: false,
  convertDetectedLanguage: (tag) => (/^zh(-|$)/i.test(tag) ? 'zh-CN' : tag),
})

export function languageOf(value: unknown): Language {
  return LANGUAGES.find((l) => l === value) ?? DEFAULT_LANGUAGE
}
