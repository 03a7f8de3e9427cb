import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { api, queryClient, setApiLanguage } from './api/client';
import { App, preloadApp } from './App';
import { chosenLocale, I18nProvider, loadMessages, resolveLocale } from './i18n/i18n';
import { StudioContext, type Studio } from './studio';
import { Toaster } from './ui/toast';
import './styles.css';

/*
 * Before the first render: which studio this address is (its name, time zone and language), that language's
 * catalog and the code of the app the address opens, all fetched side by side. The catalog is guessed (the
 * person's own choice, else Japanese, the default) and fetched again only if the studio works in another.
 */
const root = createRoot(document.getElementById('root')!);
const guess = chosenLocale() ?? 'ja';
const guessedMessages = loadMessages(guess);
preloadApp(location.pathname);
const studio: Studio | null = await api.GET('/api/tenant').then(({ data }) => data ?? null, () => null);
const locale = resolveLocale(studio?.locale);
setApiLanguage(locale);
const messages = locale === guess ? await guessedMessages : await loadMessages(locale);

root.render(
  <StrictMode>
    <I18nProvider initial={locale} messages={messages}>
      <QueryClientProvider client={queryClient}>
        <Toaster>
          {studio ? (
            <StudioContext.Provider value={studio}>
              <App />
            </StudioContext.Provider>
          ) : (
            <Unreachable />
          )}
        </Toaster>
      </QueryClientProvider>
    </I18nProvider>
  </StrictMode>,
);

function Unreachable() {
  return (
    <main className="card narrow">
      <h1>Studiohive</h1>
      <p role="alert">{messages['problem.noStudio']}</p>
    </main>
  );
}
