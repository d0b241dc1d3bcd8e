//! Parsing one line of the order-flow format into a [`Message`], or saying what was expected; and
//! writing a [`Message`] back as its line (`Display`), which [`parse_line`] reads back unchanged.

use crate::engine::{OrderId, Tif};
use crate::units::{Price, Qty, Side};

/// One input message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message {
    /// `N,<id>,<B|S>,<price>,<qty>[,<tif>]`
    New { id: OrderId, side: Side, price: Price, qty: Qty, tif: Tif },
    /// `M,<id>,<B|S>,<qty>`
    Market { id: OrderId, side: Side, qty: Qty },
    /// `C,<id>`
    Cancel { id: OrderId },
    /// `R,<id>,<price>,<qty>`
    Replace { id: OrderId, price: Price, qty: Qty },
}

impl std::fmt::Display for Message {
    /// The message as its line, without a line end: `N,3,B,100,5` (a GTC order without its tif),
    /// `N,3,S,99,1,IOC`, `M,4,S,7`, `C,3`, `R,3,99,1`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let side = |side: Side| match side {
            Side::Buy => "B",
            Side::Sell => "S",
        };
        match *self {
            Message::New { id, side: s, price, qty, tif } => {
                write!(f, "N,{},{},{},{}", id.0, side(s), price.0, qty.0)?;
                match tif {
                    Tif::Gtc => Ok(()),
                    Tif::Ioc => f.write_str(",IOC"),
                    Tif::Fok => f.write_str(",FOK"),
                    Tif::PostOnly => f.write_str(",POST"),
                }
            }
            Message::Market { id, side: s, qty } => write!(f, "M,{},{},{}", id.0, side(s), qty.0),
            Message::Cancel { id } => write!(f, "C,{}", id.0),
            Message::Replace { id, price, qty } => write!(f, "R,{},{},{}", id.0, price.0, qty.0),
        }
    }
}

const FORMS: &str = "N,<id>,<B|S>,<price>,<qty>[,<tif>], M,<id>,<B|S>,<qty>, C,<id> or R,<id>,<price>,<qty>";

/// Parses one line (without its line terminator). `Ok(None)` for a blank or `#` comment line;
/// `Err` says what was expected, for `exsim: FILE:LINE: <what was expected>`.
pub fn parse_line(line: &[u8]) -> Result<Option<Message>, String> {
    let line = line.strip_suffix(b"\r").unwrap_or(line).trim_ascii();
    if line.is_empty() || line[0] == b'#' {
        return Ok(None);
    }
    let mut fields = [&b""[..]; 7];
    let mut count = 0;
    for field in line.split(|&b| b == b',') {
        if count == fields.len() {
            count += 1;
            break;
        }
        fields[count] = field.trim_ascii();
        count += 1;
    }
    let fields = &fields[..count.min(fields.len())];
    let arity = |form: &str, min: usize, max: usize| -> Result<(), String> {
        if count < min || count > max {
            Err(format!(
                "expected {form} ({} fields), found {count} fields",
                if min == max { min.to_string() } else { format!("{min} or {max}") }
            ))
        } else {
            Ok(())
        }
    };
    let message = match fields[0] {
        b"N" => {
            arity("N,<id>,<B|S>,<price>,<qty>[,<tif>]", 5, 6)?;
            Message::New {
                id: id(fields[1])?,
                side: side(fields[2])?,
                price: Price(positive(fields[3], 4, "price", "ticks")?),
                qty: Qty(positive(fields[4], 5, "qty", "lots")?),
                tif: if count == 6 { tif(fields[5])? } else { Tif::Gtc },
            }
        }
        b"M" => {
            arity("M,<id>,<B|S>,<qty>", 4, 4)?;
            Message::Market {
                id: id(fields[1])?,
                side: side(fields[2])?,
                qty: Qty(positive(fields[3], 4, "qty", "lots")?),
            }
        }
        b"C" => {
            arity("C,<id>", 2, 2)?;
            Message::Cancel { id: id(fields[1])? }
        }
        b"R" => {
            arity("R,<id>,<price>,<qty>", 4, 4)?;
            Message::Replace {
                id: id(fields[1])?,
                price: Price(positive(fields[2], 3, "price", "ticks")?),
                qty: Qty(positive(fields[3], 4, "qty", "lots")?),
            }
        }
        other => return Err(format!("expected a message {FORMS}; found type {}", show(other))),
    };
    Ok(Some(message))
}

fn show(field: &[u8]) -> String {
    format!("{:?}", String::from_utf8_lossy(&field[..field.len().min(40)]))
}

/// A decimal integer of ASCII digits only (no sign, no spaces), if it fits in a u64.
fn integer(field: &[u8]) -> Option<u64> {
    if field.is_empty() || field.len() > 20 || !field.iter().all(u8::is_ascii_digit) {
        return None;
    }
    field.iter().try_fold(0u64, |n, &d| n.checked_mul(10)?.checked_add(u64::from(d - b'0')))
}

fn positive(field: &[u8], position: usize, name: &str, unit: &str) -> Result<u64, String> {
    match integer(field) {
        Some(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "field {position} ({name}): expected an integer number of {unit} from 1 to {}, found {}",
            u64::MAX,
            show(field)
        )),
    }
}

fn id(field: &[u8]) -> Result<OrderId, String> {
    positive(field, 2, "id", "")
        .map(OrderId)
        .map_err(|_| format!("field 2 (id): expected an integer from 1 to {}, found {}", u64::MAX, show(field)))
}

fn side(field: &[u8]) -> Result<Side, String> {
    match field {
        b"B" => Ok(Side::Buy),
        b"S" => Ok(Side::Sell),
        _ => Err(format!("field 3 (side): expected B or S, found {}", show(field))),
    }
}

fn tif(field: &[u8]) -> Result<Tif, String> {
    match field {
        b"GTC" => Ok(Tif::Gtc),
        b"IOC" => Ok(Tif::Ioc),
        b"FOK" => Ok(Tif::Fok),
        b"POST" => Ok(Tif::PostOnly),
        _ => Err(format!("field 6 (tif): expected GTC, IOC, FOK or POST, found {}", show(field))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(line: &str) -> Option<Message> {
        parse_line(line.as_bytes()).unwrap()
    }

    fn err(line: &str) -> String {
        parse_line(line.as_bytes()).unwrap_err()
    }

    #[test]
    fn accepts_the_grammar() {
        assert_eq!(ok(""), None);
        assert_eq!(ok("   \r"), None);
        assert_eq!(ok("# comment"), None);
        assert_eq!(
            ok("N,1,B,100,5"),
            Some(Message::New { id: OrderId(1), side: Side::Buy, price: Price(100), qty: Qty(5), tif: Tif::Gtc })
        );
        assert_eq!(
            ok("N, 18446744073709551615 ,S,1,1,POST\r"),
            Some(Message::New {
                id: OrderId(u64::MAX),
                side: Side::Sell,
                price: Price(1),
                qty: Qty(1),
                tif: Tif::PostOnly
            })
        );
        assert_eq!(ok("M,2,S,7"), Some(Message::Market { id: OrderId(2), side: Side::Sell, qty: Qty(7) }));
        assert_eq!(ok("C,3"), Some(Message::Cancel { id: OrderId(3) }));
        assert_eq!(ok("R,3,99,1"), Some(Message::Replace { id: OrderId(3), price: Price(99), qty: Qty(1) }));
    }

    #[test]
    fn a_message_is_written_as_the_line_it_was_read_from() {
        for line in ["N,1,B,100,5", "N,18446744073709551615,S,1,18446744073709551615,POST", "N,2,B,3,4,IOC"]
            .into_iter()
            .chain(["N,2,S,3,4,FOK", "M,2,S,7", "C,3", "R,3,99,1"])
        {
            let message = ok(line).unwrap();
            assert_eq!(message.to_string(), line);
            assert_eq!(ok(&message.to_string()), Some(message));
        }
        assert_eq!(ok("N,1,B,100,5,GTC").unwrap().to_string(), "N,1,B,100,5");
    }

    #[test]
    fn says_what_was_expected() {
        assert_eq!(err("N,0,B,1,1"), "field 2 (id): expected an integer from 1 to 18446744073709551615, found \"0\"");
        assert_eq!(err("N,1,X,1,1"), "field 3 (side): expected B or S, found \"X\"");
        assert_eq!(err("N,1,B,1,1,GTD"), "field 6 (tif): expected GTC, IOC, FOK or POST, found \"GTD\"");
        assert_eq!(
            err("N,1,B,-1,1"),
            "field 4 (price): expected an integer number of ticks from 1 to 18446744073709551615, found \"-1\""
        );
        assert_eq!(
            err("N,1,B,1,+1"),
            "field 5 (qty): expected an integer number of lots from 1 to 18446744073709551615, found \"+1\""
        );
        assert_eq!(err("C,1,2"), "expected C,<id> (2 fields), found 3 fields");
        assert_eq!(err("N,1,B,1"), "expected N,<id>,<B|S>,<price>,<qty>[,<tif>] (5 or 6 fields), found 4 fields");
        assert_eq!(
            err("N,1,B,1,1,GTC,x,y,z"),
            "expected N,<id>,<B|S>,<price>,<qty>[,<tif>] (5 or 6 fields), found 8 fields"
        );
        assert!(err("Q,1").starts_with("expected a message N,"));
        assert!(err("N,18446744073709551616,B,1,1").contains("field 2 (id)"));
    }
}
