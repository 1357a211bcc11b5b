//! The nom plumbing shared by the frame parsers: the error type and the top-level parser.

use nom::error::{ErrorKind, ParseError};
use nom::{IResult, Parser};

use super::Frame;
use super::error::Violation;
use super::header::parse_header;

/// Errors the nom parsers return. A protocol violation is always `nom::Err::Failure`, so no
/// combinator backtracks over it and it is never confused with "incomplete".
#[derive(Debug, PartialEq)]
pub(crate) enum ParseFailure {
    /// The input breaks a SPEC rule.
    Violation(Violation),
    /// A nom combinator failed. The streaming number and `take` parsers used here only ever
    /// ask for more input, so this does not occur; it exists to satisfy `ParseError`.
    Nom(ErrorKind),
}

impl<I> ParseError<I> for ParseFailure {
    fn from_error_kind(_input: I, kind: ErrorKind) -> Self {
        ParseFailure::Nom(kind)
    }

    fn append(_input: I, _kind: ErrorKind, other: Self) -> Self {
        other
    }
}

pub(crate) fn fail<I, T>(violation: Violation) -> IResult<I, T, ParseFailure> {
    Err(nom::Err::Failure(ParseFailure::Violation(violation)))
}

/// Parses one whole frame: header, header checks, body, body checks.
pub(crate) fn parse_frame(input: &[u8]) -> IResult<&[u8], Frame<'_>, ParseFailure> {
    let (rest, header) = parse_header(input)?;
    // [FRAME-6] judge the header before asking for any byte of the body.
    if let Err(violation) = header.check() {
        return fail(violation);
    }
    let (rest, body) = nom::bytes::streaming::take(header.length).parse(rest)?;
    match Frame::load(&header, body) {
        Ok(frame) => Ok((rest, frame)),
        Err(violation) => fail(violation),
    }
}
