import './tv.css'
// The reference TV app: built in the next stage.
const screen = document.getElementById('screen')
if (screen) screen.textContent = 'tvpay 电视应用 · TV app'
