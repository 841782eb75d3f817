import { render } from 'preact';
import { App } from './app';
import { RouterProvider } from './router';
import { SessionProvider } from './session';
import './styles.css';

render(
  <RouterProvider>
    <SessionProvider>
      <App />
    </SessionProvider>
  </RouterProvider>,
  document.getElementById('app')!,
);
