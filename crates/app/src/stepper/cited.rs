//! Text that cites the bundled algorithm reference: each "§1.6" is a link that opens the
//! passage (`sdlab_lab::reference`) in the reference dialog.

use sdlab_lab::reference::{pieces, Piece};
use yew::prelude::*;

/// `text` with its citations as buttons that call `open` with the section's number.
pub fn cited(text: &str, open: &Callback<String>) -> Html {
    html! {
        <>
        { for pieces(text).into_iter().map(|p| match p {
            Piece::Text(t) => html! { { t } },
            Piece::Cite { label, id } => {
                let open = open.clone();
                let section = id.clone();
                html! {
                    <button class="cite-link" data-section={id} title="open this section of the algorithm reference"
                        onclick={Callback::from(move |_: MouseEvent| open.emit(section.clone()))}>{ label }</button>
                }
            }
        }) }
        </>
    }
}
