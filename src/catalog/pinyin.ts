// Imported only through loadReadings() (search-keys.ts), so the bundle evaluates pinyin-pro on the
// first write that keys a title, never at startup; naming just `pinyin` keeps the rest of
// pinyin-pro out of the bundle.
export { pinyin } from 'pinyin-pro'
